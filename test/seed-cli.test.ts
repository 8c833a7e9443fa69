import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../electron/cli/args';
import { SEED_FLAG_OPTIONS, seedFromFlags } from '../electron/cli/commands/seed';
import { MaculaError } from '../shared/errors';
import { parseSeedYaml } from '../shared/seed-yaml';
import { macula } from './helpers/cli';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJY5j9GcVBBfM/84ACor2lGlZZ0gfNFdLbCMa+yY/kvD ops@example';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBP6bTBouPPoPu8AOKGfY8iaKM8/xBBWe0fyXLXrLe0didshIOMb9A+/Px2SZCz/xgdjZUZRArYI/d3EA1zaUQtU= root@vm';
const TOKEN = 'PORTAL-TOKEN-c0ffee-d00d-5ecret';
const PSK = 'wifi-passphrase-42';

const seedYaml = `#cloud-config
hostname: macula-{nn}
ssh_authorized_keys:
  - ${ED25519}
maculaos:
  timezone: Europe/Berlin
  keyboard: us
  mesh:
    bootstrap: true
  portal:
    url: https://portal.macula.io
    enrollment_token: ${TOKEN}
  wifi:
    - ssid: lab
      psk: ${PSK}
`;

/** A k3OS user's config, in the shape of k3OS's README example. */
const K3OS_PASSWORD = 'k3os-login-pw';
const k3osYaml = `ssh_authorized_keys:
- ${ED25519}
hostname: myhost
init_cmd:
- "echo hello, init command"
k3os:
  data_sources: [cdrom]
  modules: [kvm, nvme]
  sysctl:
    kernel.printk: "4 4 1 7"
  password: ${K3OS_PASSWORD}
  k3s_args: [server, "--cluster-init"]
  environment:
    http_proxy: http://myserver
  taints: ["key1=value1:NoSchedule"]
`;

describe('macula seed check (real process)', () => {
  let dir: string;
  const file = (name: string): string => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-seed-'));
    await writeFile(file('seed.yaml'), seedYaml);
    await writeFile(file('bad-tz.yaml'), seedYaml.replace('Europe/Berlin', 'Mars/Olympus'));
    await writeFile(file('malformed.yaml'), seedYaml.replace(`enrollment_token: ${TOKEN}`, `enrollment_token: ${TOKEN}: x`));
    await writeFile(file('unknown-key.yaml'), seedYaml.replace('  keyboard: us', '  keybaord: us'));
    await writeFile(file('k3os.yaml'), k3osYaml);
    await writeFile(file('k3os-twice.yaml'), `${k3osYaml}maculaos:\n  password: other-password\n`);
    await writeFile(file('token.txt'), `${TOKEN}\n`);
    await writeFile(file('keys.pub'), `# team keys\n${ED25519}\n\n${ECDSA}\n`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validates a seed and prints it with secrets masked, plus the bootstrap warning', async () => {
    const run = await macula(['seed', 'check', file('seed.yaml')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('valid seed');
    expect(run.stdout).toContain('hostname: macula-{nn}');
    expect(run.stdout).toContain(`enrollment_token: •••• (${TOKEN.length} chars)`);
    expect(run.stdout).toContain(`psk: •••• (${PSK.length} chars)`);
    expect(run.stdout).toMatch(/warning: a bootstrap node wants a public address/);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    expect(run.stdout + run.stderr).not.toContain(PSK);
  });

  it('accepts a k3OS config unchanged and prints it in the seed\'s spelling, its password masked', async () => {
    const run = await macula(['seed', 'check', file('k3os.yaml')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('init_cmd:\n  - echo hello, init command');
    expect(run.stdout).toMatch(/maculaos:\n[\s\S]*sysctls:\n {4}kernel\.printk: 4 4 1 7/);
    expect(run.stdout).toContain(`password: •••• (${K3OS_PASSWORD.length} chars)`);
    expect(run.stdout).toMatch(/warning: data_sources: cdrom is accepted .* no CD-ROM is read/);
    expect(run.stdout).not.toContain(K3OS_PASSWORD);
  });

  it('refuses a k3OS key given under both k3os: and maculaos:, naming both, with exit 5', async () => {
    const run = await macula(['seed', 'check', file('k3os-twice.yaml')]);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/k3os\.password and maculaos\.password: one setting given under both sections/);
    expect(run.stdout + run.stderr).not.toContain(K3OS_PASSWORD);
  });

  it('reports as JSON with the seed masked and the warnings', async () => {
    const run = await macula(['seed', 'check', file('seed.yaml'), '--json']);
    expect(run.code).toBe(0);
    const [event] = run.events;
    expect(event).toMatchObject({ event: 'seed', valid: true, warnings: [expect.stringMatching(/bootstrap/)] });
    expect(event?.['seed']).toMatchObject({ maculaos: { portal: { enrollment_token: `•••• (${TOKEN.length} chars)` } } });
    expect(run.stdout).not.toContain(TOKEN);
  });

  it.each([
    ['an unknown time zone', 'bad-tz.yaml', /maculaos\.timezone: unknown time zone "Mars\/Olympus"/],
    ['malformed YAML (with its line)', 'malformed.yaml', /not valid YAML: line 12, column \d+/],
    ['an unknown key', 'unknown-key.yaml', /maculaos\.keybaord: unknown key/],
  ])('refuses %s with exit 5, naming it, never printing the token', async (_what, name, message) => {
    for (const json of [false, true]) {
      const run = await macula(['seed', 'check', file(name), ...(json ? ['--json'] : [])]);
      expect(run.code).toBe(5);
      expect(json ? run.events.map((e) => e['message']).join('\n') : run.stderr).toMatch(message);
      expect(run.stdout + run.stderr).not.toContain(TOKEN);
    }
  });

  it('treats a missing file as I/O (4), and a missing or unknown subcommand as usage (2)', async () => {
    expect((await macula(['seed', 'check', file('nope.yaml')])).code).toBe(4);
    expect((await macula(['seed', 'check'])).code).toBe(2);
    const show = await macula(['seed', 'frobnicate', file('seed.yaml')]);
    expect(show.code).toBe(2);
    expect(show.stderr).toContain('usage: macula seed check FILE');
    expect((await macula(['--help'])).stdout).toContain('macula seed check FILE');
  });

  describe('seedFromFlags', () => {
    const fromFlags = (argv: string[]) => seedFromFlags(parseCommandArgs(argv, SEED_FLAG_OPTIONS, 'test'));
    async function refusal(argv: string[]): Promise<MaculaError> {
      try {
        await fromFlags(argv);
      } catch (e) {
        if (e instanceof MaculaError) return e;
        throw e;
      }
      throw new Error('flags were accepted');
    }

    it('builds a seed from flags, reading the token and keys from @FILE', async () => {
      const seed = await fromFlags([
        '--hostname', 'macula-{nn}', '--timezone', 'Europe/Berlin', '--keyboard', 'de', '--locale', 'de_DE.UTF-8',
        '--mesh-role', 'bootstrap', '--mesh-role', 'relay', '--portal-url', 'https://portal.macula.io',
        '--portal-token', `@${file('token.txt')}`, '--ssh-key', `@${file('keys.pub')}`, '--ssh-key', ED25519,
      ]);
      expect(seed).toMatchObject({
        hostname: 'macula-{nn}',
        ssh_authorized_keys: [ED25519, ECDSA, ED25519],
        maculaos: {
          timezone: 'Europe/Berlin',
          keyboard: 'de',
          locale: 'de_DE.UTF-8',
          mesh: { bootstrap: true, relay: true },
          portal: { url: 'https://portal.macula.io', enrollment_token: TOKEN },
          live: { persistence: true },
        },
      });
      expect((await fromFlags(['--mesh-role', 'relay']))?.maculaos.mesh).toEqual({ bootstrap: false, relay: true });
      expect(await fromFlags([])).toBeUndefined();
    });

    it('refuses a token given on the command line, without repeating it', async () => {
      const e = await refusal(['--portal-url', 'https://p.example', '--portal-token', TOKEN]);
      expect(e.code).toBe('ERR_USAGE');
      expect(e.message).toMatch(/--portal-token takes @FILE/);
      expect(e.message).not.toContain(TOKEN);
    });

    it('refuses an unknown mesh role, a bad hostname and an unknown time zone, naming flag and field', async () => {
      const role = await refusal(['--mesh-role', 'bootstrap,gateway']);
      expect(role.code).toBe('ERR_SEED_INVALID');
      expect(role.details.field).toBe('maculaos.mesh');
      expect(role.message).toMatch(/--mesh-role: .*unknown mesh role "gateway" \(known: bootstrap, relay\)/);
      const host = await refusal(['--hostname=-bad-']);
      expect(host.details.field).toBe('hostname');
      expect(host.message).toMatch(/^--hostname: .*hostname: label "-bad-" must not start or end/);
      const tz = await refusal(['--timezone', 'Mars/Olympus']);
      expect(tz.message).toMatch(/^--timezone: .*maculaos.timezone: unknown time zone "Mars\/Olympus"/);
      expect((await refusal(['--portal-token', `@${file('token.txt')}`])).message).toMatch(/^--portal-url: .*maculaos.portal.url/);
      expect((await refusal(['--ssh-key', 'ssh-rsa nope'])).message).toMatch(/^--ssh-key: .*ssh_authorized_keys\[0\]/);
    });

    it('names the flag and file it cannot read', async () => {
      const e = await refusal(['--ssh-key', `@${file('missing.pub')}`]);
      expect(e.code).toBe('ERR_IO');
      expect(e.message).toMatch(/--ssh-key @.*missing\.pub: cannot read/);
    });

    it('builds the same seed as the equivalent YAML file', async () => {
      const flags = await fromFlags([
        '--hostname', 'macula-{nn}', '--timezone', 'Europe/Berlin', '--keyboard', 'us', '--mesh-role', 'bootstrap',
        '--portal-url', 'https://portal.macula.io', '--portal-token', `@${file('token.txt')}`, '--ssh-key', ED25519,
      ]);
      const yaml = parseSeedYaml(seedYaml, 'seed.yaml', { templates: true });
      const { wifi: _wifi, ...withoutWifi } = yaml.maculaos;
      expect(flags).toEqual({ ...yaml, maculaos: { ...withoutWifi, mesh: { bootstrap: true, relay: false } } });
    });
  });
});
