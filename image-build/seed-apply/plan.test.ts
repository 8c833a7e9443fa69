import { describe, expect, it } from 'vitest';
import { parseSeedYaml } from '../../shared/seed-yaml';
import { K3S_CONFIG } from './k3s';
import { type FileChange, planSeed, splitKeyboard } from './plan';
import { RESOLVED_DROPIN, TIMESYNCD_DROPIN } from './time-dns';
import { WPA_CONFIG } from './wifi';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJY5j9GcVBBfM/84ACor2lGlZZ0gfNFdLbCMa+yY/kvD ops@example';

function file(plan: ReturnType<typeof planSeed>, path: string): FileChange | undefined {
  return plan.changes.find((c): c is FileChange => c.kind === 'file' && c.path === path);
}

describe('planSeed', () => {
  it('plans hostname, time zone, keyboard, locale, SSH keys with their port, and mesh roles', () => {
    const seed = parseSeedYaml(
      `hostname: e2e-node-1\nssh_authorized_keys: ["${KEY}"]\nmaculaos:\n  timezone: Europe/Berlin\n  keyboard: de(nodeadkeys)\n  locale: de_DE.UTF-8\n  mesh: { relay: true }\n  pairing: { key: ${'A'.repeat(43)} }\n`,
      'test',
    );
    const plan = planSeed(seed, '/run/maculaos');
    expect(file(plan, '/etc/hostname')?.content).toBe('e2e-node-1\n');
    expect(file(plan, '/etc/hosts')?.content).toContain('127.0.1.1\te2e-node-1');
    expect(plan.changes).toContainEqual({ kind: 'link', path: '/etc/localtime', target: '/usr/share/zoneinfo/Europe/Berlin' });
    expect(file(plan, '/etc/default/keyboard')?.content).toContain('XKBLAYOUT="de"\nXKBVARIANT="nodeadkeys"');
    expect(file(plan, '/etc/default/locale')?.content).toBe('LANG=de_DE.UTF-8\n');
    expect(file(plan, '/home/macula/.ssh/authorized_keys')).toMatchObject({ content: `${KEY}\n`, mode: 0o600, owner: 'macula:macula' });
    expect(file(plan, '/run/maculaos/firewall.d/ssh.nft')?.content).toContain('{ 22 }');
    expect(JSON.parse(String(file(plan, '/run/maculaos/mesh-roles')?.content))).toEqual({ bootstrap: false, relay: true });
    expect(plan.summary).toMatchObject({ hostname: 'e2e-node-1', mesh: 'relay', ssh_keys: '1' });
    // The pairing key is the agent's business: never in a planned file or the summary.
    expect(JSON.stringify(plan)).not.toContain('A'.repeat(43));
  });

  it('opens no SSH port, runs nothing and removes earlier network and k3s settings for an empty seed', () => {
    const plan = planSeed(parseSeedYaml('maculaos: {}\n', 'test'), '/run/maculaos');
    expect(plan.hostname).toBeUndefined();
    expect(plan.changes.filter((c) => c.kind !== 'remove').map((c) => c.kind === 'file' && c.path)).toEqual(['/run/maculaos/mesh-roles', '/etc/environment', '/run/maculaos/k3s.env']);
    expect(plan.changes.filter((c) => c.kind === 'remove').map((c) => c.path).sort()).toEqual([
      '/etc/modprobe.d/50-maculaos-seed.conf',
      '/etc/modules-load.d/50-maculaos-seed.conf',
      '/etc/rancher/k3s/config.yaml',
      '/etc/sysctl.d/50-maculaos-seed.conf',
      '/etc/systemd/resolved.conf.d/50-maculaos-seed.conf',
      '/etc/systemd/timesyncd.conf.d/50-maculaos-seed.conf',
      '/etc/wpa_supplicant/maculaos.conf',
    ]);
    expect(file(plan, '/run/maculaos/k3s.env')?.content).toBe('K3S_ROLE=server\n');
    expect(plan.summary).toEqual({ mesh: 'none' });
  });

  it('treats empty lists as absent: no scripts, no Wi-Fi, no drop-ins, no labels', () => {
    const seed = parseSeedYaml(
      'init_cmd: []\nboot_cmd: []\nrun_cmd: []\nmaculaos:\n  wifi: []\n  ntp_servers: []\n  dns_nameservers: []\n  labels: {}\n  modules: []\n  sysctls: {}\n  environment: {}\n  k3s_args: []\n  taints: []\n',
      'test',
    );
    const plan = planSeed(seed, '/run/maculaos');
    expect(plan.changes.filter((c) => c.kind !== 'remove').map((c) => c.kind === 'file' && c.path)).toEqual(['/run/maculaos/mesh-roles', '/etc/environment', '/run/maculaos/k3s.env']);
    expect(plan.summary).toEqual({ mesh: 'none' });
  });

  it('writes boot_cmd and run_cmd as root-only scripts, in order, and counts them in the summary', () => {
    const seed = parseSeedYaml('boot_cmd: ["echo one", "echo two"]\nrun_cmd: ["curl -H \'Authorization: x\' https://example.com"]\n', 'test');
    const plan = planSeed(seed, '/run/maculaos');
    const boot = file(plan, '/run/maculaos/boot_cmd.sh');
    expect(boot?.mode).toBe(0o600);
    expect(boot?.content).toMatch(/maculaos_run 'boot_cmd\[1\]' 'echo one'\nmaculaos_run 'boot_cmd\[2\]' 'echo two'\n/);
    expect(file(plan, '/run/maculaos/run_cmd.sh')?.content).toContain(`maculaos_run 'run_cmd[1]' 'curl -H '\\''Authorization: x'\\'' https://example.com'`);
    expect(plan.summary).toMatchObject({ boot_cmd: '2', run_cmd: '1' });
  });

  it('writes Wi-Fi networks to a 0600 wpa_supplicant file, SSID in hex, first network preferred, PSK never in the summary', () => {
    const psk = 'pa"ss #word';
    const seed = parseSeedYaml(`maculaos:\n  wifi:\n    - { ssid: "Café", psk: '${psk}' }\n    - { ssid: lab, psk: labpassword }\n`, 'test');
    const plan = planSeed(seed, '/run/maculaos');
    const conf = file(plan, WPA_CONFIG);
    expect(conf?.mode).toBe(0o600);
    // "Café" in UTF-8: 43 61 66 c3 a9.
    expect(conf?.content).toContain(`network={\n\tssid=436166c3a9\n\tpsk="${psk}"\n\tkey_mgmt=WPA-PSK\n\tpriority=2\n}`);
    expect(conf?.content).toContain('\tssid=6c6162\n\tpsk="labpassword"\n\tkey_mgmt=WPA-PSK\n\tpriority=1\n}');
    expect(plan.summary).toMatchObject({ wifi: '2' });
    expect(JSON.stringify(plan.summary)).not.toMatch(/pa"ss|labpassword|Café/);
  });

  it('points timesyncd and resolved at the seeded servers through drop-ins', () => {
    const seed = parseSeedYaml('maculaos:\n  ntp_servers: [0.pool.ntp.org, 192.0.2.123]\n  dns_nameservers: [192.0.2.53, "2001:db8::53"]\n', 'test');
    const plan = planSeed(seed, '/run/maculaos');
    expect(file(plan, TIMESYNCD_DROPIN)?.content).toMatch(/\n\[Time\]\nNTP=0\.pool\.ntp\.org 192\.0\.2\.123\n$/);
    expect(file(plan, RESOLVED_DROPIN)?.content).toMatch(/\n\[Resolve\]\nDNS=192\.0\.2\.53 2001:db8::53\n$/);
    expect(plan.summary).toMatchObject({ ntp: '0.pool.ntp.org,192.0.2.123', dns: '192.0.2.53,2001:db8::53' });
  });

  it('joins k3s as an agent with a 0600 config: server, token, seed labels and mesh roles as labels; token masked', () => {
    const token = 'K10abc::server:s3cr3t-token';
    const enrollment = 'enroll-s3cr3t';
    const seed = parseSeedYaml(
      `maculaos:\n  server_url: https://k3s.example.com:6443\n  token: "${token}"\n  labels: { zone: lab, "macula.io/site": berlin }\n  mesh: { bootstrap: true }\n  portal: { url: https://portal.example.com, enrollment_token: ${enrollment} }\n`,
      'test',
    );
    const plan = planSeed(seed, '/run/maculaos');
    expect(file(plan, K3S_CONFIG)).toMatchObject({ mode: 0o600 });
    expect(file(plan, K3S_CONFIG)?.content).toContain(
      `server: "https://k3s.example.com:6443"\ntoken: "${token}"\nnode-label:\n  - "zone=lab"\n  - "macula.io/site=berlin"\n  - "macula.io/mesh-bootstrap=true"\n`,
    );
    expect(file(plan, '/run/maculaos/k3s.env')?.content).toBe('K3S_ROLE=agent\n');
    expect(plan.summary).toMatchObject({ k3s: 'agent', labels: '3', mesh: 'bootstrap' });
    expect(JSON.stringify(plan.summary)).not.toContain(token);
    // The enrollment token is the agent's: in no planned file at all.
    expect(JSON.stringify(plan.changes)).not.toContain(enrollment);
  });

  it('runs a k3s server when the seed has a token but no server_url', () => {
    const plan = planSeed(parseSeedYaml('maculaos:\n  token: cluster-secret\n', 'test'), '/run/maculaos');
    expect(file(plan, K3S_CONFIG)?.content).toMatch(/\ntoken: "cluster-secret"\n$/);
    expect(file(plan, '/run/maculaos/k3s.env')?.content).toBe('K3S_ROLE=server\n');
    expect(plan.summary).toMatchObject({ k3s: 'server' });
    expect(plan.summary).not.toHaveProperty('labels');
  });

  it('lets write_files override a file the seed fields wrote (it comes last)', () => {
    const seed = parseSeedYaml('write_files: [{ path: /etc/systemd/timesyncd.conf.d/50-maculaos-seed.conf, content: "[Time]\\n" }]\nmaculaos: { ntp_servers: [192.0.2.1] }\n', 'test');
    const paths = planSeed(seed, '/run/maculaos').changes.map((c) => ('path' in c ? c.path : c.kind));
    expect(paths.lastIndexOf(TIMESYNCD_DROPIN)).toBe(paths.length - 1);
  });

  it('splits X11 layouts and variants', () => {
    expect(splitKeyboard('us')).toEqual({ layout: 'us', variant: '' });
    expect(splitKeyboard('fr(azerty)')).toEqual({ layout: 'fr', variant: 'azerty' });
  });
});
