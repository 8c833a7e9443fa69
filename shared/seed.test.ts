import { describe, expect, it } from 'vitest';
import { MaculaError } from './errors';
import { type SeedInput, seedWarnings, validateSeed } from './seed';
import { MAX_FILE_BYTES, hostnameProblem, sshKeyProblem, timeZoneProblem } from './seed-fields';
import { SECRET_PATHS, maskSecrets } from './seed-secrets';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJY5j9GcVBBfM/84ACor2lGlZZ0gfNFdLbCMa+yY/kvD ops@example';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBP6bTBouPPoPu8AOKGfY8iaKM8/xBBWe0fyXLXrLe0didshIOMb9A+/Px2SZCz/xgdjZUZRArYI/d3EA1zaUQtU=';

const secrets = {
  enrollment: 'enroll-7c1d9b0e2f4a',
  pairing: 'q5pX0dJ7wWJb2f3H1mS9a8yZkR4tVnU6eLc0oPiQgYs',
  psk: 'correct horse battery',
  k3s: 'K10abc::server:s3cr3t',
  password: 'login-s3cr3t',
};

/** A seed using every field. */
function full(): SeedInput {
  return {
    hostname: 'macula-01',
    ssh_authorized_keys: [ED25519, ECDSA],
    write_files: [{ path: '/etc/motd', content: 'hello\n', permissions: '0644', owner: 'root:root' }],
    boot_cmd: ['echo boot'],
    run_cmd: ['echo run'],
    maculaos: {
      timezone: 'Europe/Berlin',
      keyboard: 'de(nodeadkeys)',
      locale: 'de_DE.UTF-8',
      mesh: { bootstrap: false, relay: true },
      live: { persistence: true },
      portal: { url: 'https://portal.macula.io', enrollment_token: secrets.enrollment },
      pairing: { node_id: '0b9e4a52-6d1f-4c3e-9a7b-2f8d5c6e1a30', key: secrets.pairing },
      server_url: 'https://10.0.0.1:6443',
      token: secrets.k3s,
      password: secrets.password,
      labels: { 'macula.io/role': 'edge', zone: '' },
      ntp_servers: ['pool.ntp.org', '192.0.2.1'],
      dns_nameservers: ['1.1.1.1', '2606:4700:4700::1111'],
      wifi: [{ ssid: 'Büro', psk: secrets.psk }],
    },
  };
}

function refusal(value: unknown, options: { templates?: boolean } = {}): MaculaError {
  try {
    validateSeed(value, 'test', options);
  } catch (e) {
    if (e instanceof MaculaError) return e;
    throw e;
  }
  throw new Error('seed was accepted');
}

describe('validateSeed', () => {
  it('accepts a seed using every field, and fills live.persistence (default true)', () => {
    expect(validateSeed(full(), 'test').maculaos.wifi?.[0]?.ssid).toBe('Büro');
    expect(validateSeed({}, 'test').maculaos.live.persistence).toBe(true);
    expect(validateSeed({ maculaos: { mesh: { bootstrap: true } } }, 'test').maculaos.mesh).toEqual({ bootstrap: true, relay: false });
  });

  const withMaculaos = (m: Record<string, unknown>): unknown => ({ ...full(), maculaos: { ...full().maculaos, ...m } });
  it.each([
    ['a hostname starting with "-"', { hostname: '-bad-' }, 'hostname', /must not start or end with "-"/],
    ['an upper-case hostname (refused, not lower-cased: what is written is what was asked)', { hostname: 'UPPER' }, 'hostname', /lower case: write "upper"/],
    ['a hostname label of 64 characters', { hostname: `${'a'.repeat(64)}.lan` }, 'hostname', /more than 63/],
    ['a hostname with "_"', { hostname: 'node_1' }, 'hostname', /a-z, digits and "-"/],
    ['a hostname template outside a batch', { hostname: 'macula-{nn}' }, 'hostname', /a-z, digits/],
    ['an unknown time zone', withMaculaos({ timezone: 'Mars/Olympus' }), 'maculaos.timezone', /unknown time zone "Mars\/Olympus"/],
    ['a time zone in the wrong case', withMaculaos({ timezone: 'europe/berlin' }), 'maculaos.timezone', /did you mean "Europe\/Berlin"/],
    ['a mesh role that does not exist', withMaculaos({ mesh: { role: 'gateway' } }), 'maculaos.mesh.role', /unknown key; maculaos.mesh takes bootstrap, relay/],
    ['an unknown top-level key', { ...full(), init_cmds: ['x'] }, 'init_cmds', /unknown key; the top level takes hostname, ssh_authorized_keys/],
    ['an unknown maculaos key', withMaculaos({ tiemzone: 'UTC' }), 'maculaos.tiemzone', /unknown key/],
    ['a relative write_files path', { write_files: [{ path: 'etc/motd', content: '' }] }, 'write_files[0].path', /absolute/],
    ['a write_files path with ".."', { write_files: [{ path: '/etc/../root/x', content: '' }] }, 'write_files[0].path', /\.\./],
    ['permissions that are not octal text', { write_files: [{ path: '/x', content: '', permissions: '0999' }] }, 'write_files[0].permissions', /octal/],
    ['a DSA key', { ssh_authorized_keys: ['ssh-dss AAAAB3NzaC1kc3MAAACBAP1'] }, 'ssh_authorized_keys[0]', /known OpenSSH key type/],
    ['a key whose data is another type', { ssh_authorized_keys: [`ssh-rsa ${ED25519.split(' ')[1]}`] }, 'ssh_authorized_keys[0]', /not a ssh-rsa key/],
    ['a private key', { ssh_authorized_keys: ['-----BEGIN OPENSSH PRIVATE KEY-----'] }, 'ssh_authorized_keys[0]', /PRIVATE/],
    ['a plain-http portal', withMaculaos({ portal: { url: 'http://portal.macula.io' } }), 'maculaos.portal.url', /https/],
    ['a short pairing key', withMaculaos({ pairing: { key: 'c2hvcnQ' } }), 'maculaos.pairing.key', /32 random bytes/],
    ['a node id that is neither UUID nor short id', withMaculaos({ pairing: { node_id: 'Node 1' } }), 'maculaos.pairing.node_id', /UUID/],
    ['a 7-character WPA passphrase', withMaculaos({ wifi: [{ ssid: 'x', psk: '1234567' }] }), 'maculaos.wifi[0].psk', /8–63/],
    ['a name server given by name', withMaculaos({ dns_nameservers: ['dns.google'] }), 'maculaos.dns_nameservers[0]', /IP address/],
    ['a bad label key', withMaculaos({ labels: { 'Macula.IO/role': 'x' } }), 'maculaos.labels["Macula.IO/role"]', /prefix/],
    ['a bad label value', withMaculaos({ labels: { role: '-edge' } }), 'maculaos.labels.role', /alphanumeric/],
    ['a k3s server without a token', withMaculaos({ server_url: 'https://k3s:6443', token: undefined }), 'maculaos.token', /required when server_url/],
    ['a locale without a country', withMaculaos({ locale: 'english' }), 'maculaos.locale', /en_US.UTF-8/],
    ['a keyboard that is not an X11 layout', withMaculaos({ keyboard: 'German' }), 'maculaos.keyboard', /X11 layout/],
  ])('refuses %s, naming the field', (_what, value, field, message) => {
    const e = refusal(value);
    expect(e.code).toBe('ERR_SEED_INVALID');
    expect(e.details.field).toBe(field);
    expect(e.message).toContain(`${field}: `);
    expect(e.message).toMatch(message);
  });

  it('refuses an oversize file, naming it, counting UTF-8 bytes; and all files together over 4 MiB', () => {
    const big = refusal({ write_files: [{ path: '/ok', content: '' }, { path: '/srv/big.bin', content: 'x'.repeat(MAX_FILE_BYTES + 1) }] });
    expect(big.details.field).toBe('write_files[1].content');
    expect(big.message).toMatch(/oversize file \/srv\/big.bin/);
    // 524,289 characters but 1 MiB + 2 bytes in UTF-8.
    expect(refusal({ write_files: [{ path: '/e', content: 'é'.repeat(MAX_FILE_BYTES / 2 + 1) }] }).message).toMatch(/oversize file \/e/);
    expect(validateSeed({ write_files: [{ path: '/e', content: 'x'.repeat(MAX_FILE_BYTES) }] }, 't').write_files).toHaveLength(1);
    const five = Array.from({ length: 5 }, (_, i) => ({ path: `/f${i}`, content: 'x'.repeat(MAX_FILE_BYTES) }));
    const all = refusal({ write_files: five });
    expect(all.details.field).toBe('write_files[4].content');
    expect(all.message).toMatch(/oversize file \/f4: .*\(4 MiB\) in all/);
  });

  it('admits a hostname template only when asked, and refuses unknown placeholders', () => {
    expect(validateSeed({ hostname: 'macula-{nn}' }, 't', { templates: true }).hostname).toBe('macula-{nn}');
    expect(validateSeed({ hostname: 'node-{serial}.lan' }, 't', { templates: true }).hostname).toBe('node-{serial}.lan');
    expect(refusal({ hostname: 'macula-{id}' }, { templates: true }).message).toMatch(/unknown placeholder \{id\}/);
    expect(refusal({ hostname: '-{nn}' }, { templates: true }).message).toMatch(/must not start or end/);
  });

  it('never echoes a secret in a refusal', () => {
    const e = refusal({ maculaos: { portal: { url: 'https://p', enrollment_token: 'has a space' }, token: 'sp ace' } });
    expect(e.message).toMatch(/maculaos.portal.enrollment_token/);
    expect(e.message).not.toMatch(/has a space|sp ace/);
  });
});

describe('field checks', () => {
  it('takes RFC 1123 host names', () => {
    expect(hostnameProblem('macula-01')).toBeUndefined();
    expect(hostnameProblem('1node.lan')).toBeUndefined(); // RFC 1123 §2.1 allows a leading digit
    expect(hostnameProblem('a'.repeat(63))).toBeUndefined();
    expect(hostnameProblem(`${'a'.repeat(63)}.`.repeat(4).slice(0, 254))).toMatch(/253/);
    expect(hostnameProblem('10.0.0.1')).toMatch(/IP address/);
    expect(hostnameProblem('a..b')).toMatch(/empty label/);
  });

  it('takes IANA time zones, including names ICU lists under an older alias, and UTC', () => {
    for (const tz of ['Europe/Berlin', 'UTC', 'Etc/UTC', 'Europe/Kyiv', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires']) {
      expect(timeZoneProblem(tz), tz).toBeUndefined();
    }
    for (const tz of ['Mars/Olympus', 'CEST+2', '+01:00', '']) expect(timeZoneProblem(tz), tz).toMatch(/unknown time zone/);
  });

  it('reads the key type inside an SSH key blob', () => {
    expect(sshKeyProblem(ED25519)).toBeUndefined();
    expect(sshKeyProblem(ECDSA)).toBeUndefined();
    expect(sshKeyProblem('ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ')).toMatch(/not a ssh-ed25519 key/);
    expect(sshKeyProblem(`${ED25519}\n${ED25519}`)).toMatch(/one line/);
  });
});

describe('maskSecrets', () => {
  it('masks every secret path as "•••• (N chars)" and leaves the rest and the original alone', () => {
    const seed = validateSeed(full(), 't');
    const masked = maskSecrets(seed);
    const text = JSON.stringify(masked);
    for (const s of Object.values(secrets)) expect(text).not.toContain(s);
    expect(masked.maculaos.portal?.enrollment_token).toBe(`•••• (${secrets.enrollment.length} chars)`);
    expect(masked.maculaos.pairing?.key).toBe('•••• (43 chars)');
    expect(masked.maculaos.wifi?.[0]?.psk).toBe(`•••• (${secrets.psk.length} chars)`);
    expect(masked.maculaos.token).toBe(`•••• (${secrets.k3s.length} chars)`);
    expect(masked.maculaos.pairing?.node_id).toBe(seed.maculaos.pairing?.node_id);
    expect(masked.hostname).toBe('macula-01');
    expect(seed.maculaos.token).toBe(secrets.k3s);
    expect(text.match(/••••/g)).toHaveLength(SECRET_PATHS.length);
  });

  it('copes with a seed that has none of the secret fields', () => {
    const seed = validateSeed({ hostname: 'a' }, 't');
    expect(maskSecrets(seed)).toEqual(seed);
  });
});

describe('seedWarnings', () => {
  it('warns that a bootstrap node wants a public address, and about a seed without persistence', () => {
    expect(seedWarnings(validateSeed(full(), 't'))).toEqual([]);
    const bootstrap = validateSeed({ maculaos: { mesh: { bootstrap: true } } }, 't');
    expect(seedWarnings(bootstrap)).toEqual([expect.stringMatching(/^a bootstrap node wants a public address/)]);
    expect(seedWarnings(validateSeed({ maculaos: { live: { persistence: false } } }, 't'))[0]).toMatch(/forgets/);
  });
});
