import { describe, expect, it } from 'vitest';
import { MaculaError } from './errors';
import { type Seed, validateSeed } from './seed';
import { maskSecrets } from './seed-secrets';
import { parseSeedYaml, seedToYaml } from './seed-yaml';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJY5j9GcVBBfM/84ACor2lGlZZ0gfNFdLbCMa+yY/kvD ops@example';
const TOKEN = 'enroll-7c1d9b0e2f4a';

/** Every field, with strings a careless writer would mangle: YAML 1.1 booleans, octal-looking text, odd whitespace. */
function full(): Seed {
  return validateSeed(
    {
      hostname: 'macula-01',
      ssh_authorized_keys: [ED25519],
      write_files: [
        { path: '/etc/motd', content: 'hello\n', permissions: '0644', owner: 'root:root' },
        { path: '/etc/no-newline', content: 'no trailing newline' },
        { path: '/etc/many', content: '  leading spaces\n\ttab\n# not a comment\n\n\n', permissions: '600' },
        { path: '/etc/unicode', content: 'Grüße, 東京 🚀\r\nCRLF line\n' },
        { path: '/etc/empty', content: '' },
        { path: '/etc/yes', content: 'yes' },
      ],
      boot_cmd: ['echo "boot: yes" > /tmp/x'],
      run_cmd: ["sh -c 'echo run'", '0644', 'on'],
      maculaos: {
        timezone: 'Europe/Berlin',
        keyboard: 'de(nodeadkeys)',
        locale: 'de_DE.UTF-8',
        mesh: { bootstrap: true, relay: true },
        live: { persistence: false },
        portal: { url: 'https://portal.macula.io/enroll?x=1', enrollment_token: TOKEN },
        pairing: { node_id: '0b9e4a52-6d1f-4c3e-9a7b-2f8d5c6e1a30', key: 'q5pX0dJ7wWJb2f3H1mS9a8yZkR4tVnU6eLc0oPiQgYs' },
        server_url: 'https://10.0.0.1:6443',
        token: 'K10abc::server:s3cr3t',
        labels: { 'macula.io/role': 'edge', zone: '', on: 'true' },
        ntp_servers: ['pool.ntp.org', '192.0.2.1'],
        dns_nameservers: ['1.1.1.1', '2606:4700:4700::1111'],
        wifi: [{ ssid: 'no', psk: 'yes yes yes' }, { ssid: '0x1F', psk: '   spaces   ' }],
      },
    },
    'fixture',
  );
}

function refusal(text: string): MaculaError {
  try {
    parseSeedYaml(text, 'seed.yaml');
  } catch (e) {
    if (e instanceof MaculaError) return e;
    throw e;
  }
  throw new Error('seed was accepted');
}

describe('seedToYaml / parseSeedYaml', () => {
  it('round-trips a full seed losslessly, with a #cloud-config header', () => {
    const seed = full();
    const text = seedToYaml(seed);
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(parseSeedYaml(text, 'written')).toEqual(seed);
    expect(seedToYaml(parseSeedYaml(text, 'written'))).toBe(text);
  });

  it('writes keys in a stable order whatever order the seed was built in', () => {
    const seed = full();
    const reversed = JSON.parse(JSON.stringify(seed), (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    ) as Seed;
    expect(Object.keys(reversed)[0]).toBe('maculaos');
    expect(seedToYaml(reversed)).toBe(seedToYaml(seed));
    const text = seedToYaml(seed);
    const order = ['hostname:', 'ssh_authorized_keys:', 'write_files:', 'boot_cmd:', 'run_cmd:', 'maculaos:', '  timezone:', '  pairing:', '  wifi:'];
    const at = order.map((k) => text.indexOf(`\n${k}`));
    expect(at.every((pos) => pos >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('quotes what YAML 1.1 (the node’s parser) would read as booleans or numbers, and keeps SSH keys on one line', () => {
    const text = seedToYaml(full());
    expect(text).toContain('ssid: "no"');
    expect(text).toContain('permissions: "0644"');
    expect(text).toContain(`  - ${ED25519}\n`);
  });

  it('reads the file as YAML 1.1: an unquoted no or 0644 is refused with a hint to quote it', () => {
    const ssid = refusal('maculaos:\n  wifi:\n    - ssid: no\n      psk: password1\n');
    expect(ssid.details.field).toBe('maculaos.wifi[0].ssid');
    expect(ssid.message).toMatch(/quote it/);
    expect(refusal('write_files:\n  - path: /x\n    content: ""\n    permissions: 0644\n').details.field).toBe('write_files[0].permissions');
  });

  it('writes a masked seed too (for display)', () => {
    const text = seedToYaml(maskSecrets(full()));
    expect(text).not.toContain(TOKEN);
    expect(text).toContain(`enrollment_token: •••• (${TOKEN.length} chars)`);
  });
});

describe('parseSeedYaml refusals', () => {
  it('refuses malformed YAML with its line and column, without quoting the source', () => {
    const e = refusal(`hostname: node\nmaculaos:\n  portal:\n    enrollment_token: ${TOKEN}: oops\n`);
    expect(e.code).toBe('ERR_SEED_INVALID');
    expect(e.message).toMatch(/seed.yaml is not valid YAML: line 4, column \d+/);
    expect(e.message).not.toContain(TOKEN);
    expect(refusal('hostname: a\nhostname: b\n').message).toMatch(/line 2, column 1: Map keys must be unique/);
    expect(refusal('maculaos:\n  timezone: [UTC\n').message).toMatch(/not valid YAML: line \d+/);
  });

  it.each([
    ['a bad hostname', 'hostname: -bad-\n', 'hostname'],
    ['an unknown time zone', 'maculaos:\n  timezone: Mars/Olympus\n', 'maculaos.timezone'],
    ['an unknown mesh role', 'maculaos:\n  mesh:\n    role: gateway\n', 'maculaos.mesh.role'],
    ['an unknown key', 'hostname: a\nhostnmae: b\n', 'hostnmae'],
    ['a list at the top', '- hostname: a\n', '(root)'],
  ])('refuses %s naming the field', (_what, text, field) => {
    const e = refusal(text);
    expect(e.code).toBe('ERR_SEED_INVALID');
    expect(e.details.field).toBe(field);
    expect(e.message).toContain(field);
  });

  it('names the time zone it does not know', () => {
    expect(refusal('maculaos:\n  timezone: Mars/Olympus\n').message).toContain('maculaos.timezone: unknown time zone "Mars/Olympus"');
  });

  it('refuses an oversize write_files entry naming the file', () => {
    const e = refusal(`write_files:\n  - path: /srv/huge\n    content: "${'x'.repeat(1024 * 1024 + 1)}"\n`);
    expect(e.details.field).toBe('write_files[0].content');
    expect(e.message).toMatch(/oversize file \/srv\/huge/);
  });

  it('refuses an empty file, and admits hostname templates only when asked', () => {
    expect(refusal('# nothing\n').message).toMatch(/is empty/);
    expect(refusal('hostname: macula-{nn}\n').details.field).toBe('hostname');
    expect(parseSeedYaml('hostname: macula-{nn}\n', 's', { templates: true }).hostname).toBe('macula-{nn}');
  });
});
