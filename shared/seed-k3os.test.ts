import { describe, expect, it } from 'vitest';
import { MaculaError } from './errors';
import { validateSeed } from './seed';
import { maskSecrets } from './seed-secrets';
import { parseSeedYaml, seedToYaml } from './seed-yaml';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJY5j9GcVBBfM/84ACor2lGlZZ0gfNFdLbCMa+yY/kvD ops@example';

/**
 * The example config of k3OS's README ("Configuration"), as a k3OS user has it: `k3os:` section, `init_cmd`, the
 * singular `sysctl`, Wi-Fi as name/passphrase. Two lines differ, as they must: a whole SSH key where the README cuts
 * one short (and no `github:` key, which would be fetched from the internet), and only the `cdrom` data source.
 */
const K3OS_README = `ssh_authorized_keys:
- ${ED25519}
write_files:
- encoding: ""
  content: |-
    #!/bin/bash
    echo hello, local service start
  owner: root
  path: /etc/local.d/example.start
  permissions: '0755'
hostname: myhost
init_cmd:
- "echo hello, init command"
boot_cmd:
- "echo hello, boot command"
run_cmd:
- "echo hello, run command"

k3os:
  data_sources:
  - cdrom
  modules:
  - kvm
  - nvme
  sysctl:
    kernel.printk: "4 4 1 7"
    kernel.kptr_restrict: "1"
  dns_nameservers:
  - 8.8.8.8
  - 1.1.1.1
  ntp_servers:
  - 0.us.pool.ntp.org
  - 1.us.pool.ntp.org
  wifi:
  - name: home
    passphrase: mypassword
  - name: nothome
    passphrase: somethingelse
  password: rancher
  server_url: https://someserver:6443
  token: TOKEN_VALUE
  labels:
    region: us-west-1
    somekey: somevalue
  k3s_args:
  - server
  - "--cluster-init"
  environment:
    http_proxy: http://myserver
    https_proxy: http://myserver
  taints:
  - key1=value1:NoSchedule
  - key1=value1:NoExecute
`;

function refusal(yaml: string): MaculaError {
  try {
    parseSeedYaml(yaml, 'test');
  } catch (e) {
    if (e instanceof MaculaError) return e;
    throw e;
  }
  throw new Error('seed was accepted');
}

describe('k3OS configs as seeds', () => {
  it('accepts the k3OS README example and reads k3os: as maculaos:, in k3OS types', () => {
    const seed = parseSeedYaml(K3OS_README, 'k3os.yaml');
    expect(seed.init_cmd).toEqual(['echo hello, init command']);
    expect(seed.write_files?.[0]).toMatchObject({ encoding: '', permissions: '0755', path: '/etc/local.d/example.start' });
    const m = seed.maculaos;
    expect(m.sysctls).toEqual({ 'kernel.printk': '4 4 1 7', 'kernel.kptr_restrict': '1' });
    expect(m.modules).toEqual(['kvm', 'nvme']);
    expect(m.wifi).toEqual([
      { ssid: 'home', psk: 'mypassword' },
      { ssid: 'nothome', psk: 'somethingelse' },
    ]);
    expect(m).toMatchObject({ password: 'rancher', server_url: 'https://someserver:6443', token: 'TOKEN_VALUE', data_sources: ['cdrom'] });
    expect(m.k3s_args).toEqual(['server', '--cluster-init']);
    expect(m.environment).toEqual({ http_proxy: 'http://myserver', https_proxy: 'http://myserver' });
    expect(m.taints).toEqual(['key1=value1:NoSchedule', 'key1=value1:NoExecute']);
  });

  it('round-trips: the seed written back as YAML reads as the same seed, with the password masked when shown', () => {
    const seed = parseSeedYaml(K3OS_README, 'k3os.yaml');
    const again = parseSeedYaml(seedToYaml(seed), 'written');
    expect(again).toEqual(seed);
    expect(seedToYaml(maskSecrets(seed))).not.toContain('rancher');
  });

  it("takes k3OS's singular, camelCase and lower-case key forms, and one string for a list", () => {
    const seed = validateSeed(
      {
        ssh_authorized_key: ED25519,
        writeFiles: [{ path: '/etc/a', content: 'aGk=', encoding: 'b64', permission: '0600' }],
        initCmd: 'echo init',
        runcmd: ['echo run'],
        k3os: { module: 'kvm', sysctl: { 'vm.swappiness': 10 }, label: { zone: 'a' }, dnsNameserver: '1.1.1.1', ntp_server: 'pool.ntp.org', taint: 'a=b:NoSchedule', k3sArgs: '--disable=traefik', dataSource: 'cdrom' },
      },
      'test',
    );
    expect(seed).toMatchObject({ ssh_authorized_keys: [ED25519], init_cmd: ['echo init'], run_cmd: ['echo run'] });
    expect(seed.write_files).toEqual([{ path: '/etc/a', content: 'aGk=', encoding: 'b64', permissions: '0600' }]);
    expect(seed.maculaos).toMatchObject({
      modules: ['kvm'],
      sysctls: { 'vm.swappiness': '10' },
      labels: { zone: 'a' },
      dns_nameservers: ['1.1.1.1'],
      ntp_servers: ['pool.ntp.org'],
      taints: ['a=b:NoSchedule'],
      k3s_args: ['--disable=traefik'],
      data_sources: ['cdrom'],
    });
  });

  it.each([
    ['init_cmd', 'init_cmd: { a: 1 }\n', 'init_cmd'],
    ['modules', 'k3os: { modules: ["kvm; reboot"] }\n', 'k3os.modules[0]'],
    ['sysctls', 'k3os: { sysctls: [net.ipv4.ip_forward] }\n', 'k3os.sysctls'],
    ['sysctl value', 'k3os: { sysctl: { kernel.printk: "4\\n5" } }\n', 'k3os.sysctls["kernel.printk"]'],
    ['environment', 'k3os: { environment: { "1PROXY": x } }\n', 'k3os.environment["1PROXY"]'],
    ['k3s_args', 'k3os: { k3s_args: { a: b } }\n', 'k3os.k3s_args'],
    ['taints', 'k3os: { taints: [key1=value1] }\n', 'k3os.taints[0]'],
    ['password', 'k3os: { password: [rancher] }\n', 'k3os.password'],
    ['labels', 'k3os: { labels: [a] }\n', 'k3os.labels'],
    ['dns_nameservers', 'k3os: { dns_nameservers: [dns.example.com] }\n', 'k3os.dns_nameservers[0]'],
    ['ntp_servers', 'k3os: { ntp_servers: [{ a: b }] }\n', 'k3os.ntp_servers[0]'],
    ['wifi', 'k3os: { wifi: [{ name: home, passphrase: short }] }\n', 'k3os.wifi[0].psk'],
    ['server_url', 'k3os: { server_url: "http://x:6443", token: t }\n', 'k3os.server_url'],
    ['write_files encoding', 'write_files: [{ path: /a, content: x, encoding: gzip }]\n', 'write_files[0].encoding'],
    ['write_files content', 'write_files: [{ path: /a, content: "not base64!", encoding: b64 }]\n', 'write_files[0].content'],
    ['persistence_size', 'maculaos: { live: { persistence_size: lots } }\n', 'maculaos.live.persistence_size'],
    ['persistence_device', 'maculaos: { live: { persistence_device: "sdb; rm" } }\n', 'maculaos.live.persistence_device'],
  ])('refuses a wrong %s by name', (_what, yaml, field) => {
    const e = refusal(yaml);
    expect(e.code).toBe('ERR_SEED_INVALID');
    expect(e.details).toMatchObject({ field });
    expect(e.message).toContain(`${field}: `);
  });

  it('refuses a data source other than cdrom, saying why', () => {
    const e = refusal('k3os: { data_sources: [cdrom, aws] }\n');
    expect(e.message).toMatch(/k3os\.data_sources\[1\]: "aws" is a cloud metadata source.*only cdrom/);
  });

  it.each([
    ['under k3os: and maculaos:', 'maculaos: { token: a }\nk3os: { token: b }\n', 'k3os.token', /k3os\.token and maculaos\.token: one setting given under both/],
    ['as sysctl and sysctls', 'k3os:\n  sysctl: { a: "1" }\n  sysctls: { b: "2" }\n', 'k3os.sysctls', /k3os\.sysctl and k3os\.sysctls: one key given twice/],
    ['as run_cmd and runCmd', 'run_cmd: [a]\nrunCmd: [b]\n', 'run_cmd', /run_cmd and runCmd: one key given twice/],
    ['as name and ssid', 'k3os: { wifi: [{ name: a, ssid: b, psk: passphrase }] }\n', 'k3os.wifi[0].ssid', /k3os\.wifi\[0\]\.name and k3os\.wifi\[0\]\.ssid/],
  ])('refuses one key given twice, %s', (_what, yaml, field, message) => {
    const e = refusal(yaml);
    expect(e.details).toMatchObject({ field });
    expect(e.message).toMatch(message);
  });

  it.each([
    ['under k3os:', 'k3os: { modulez: [kvm] }\n', 'k3os.modulez', /k3os\.modulez: unknown key; k3os takes .*modules/],
    ['under maculaos:', 'maculaos: { sysctlz: {} }\n', 'maculaos.sysctlz', /maculaos\.sysctlz: unknown key; maculaos takes .*sysctls/],
    ['at the top', 'init_cmds: [a]\n', 'init_cmds', /init_cmds: unknown key; the top level takes .*init_cmd/],
    ["k3OS's install", 'k3os: { install: { device: /dev/sda } }\n', 'k3os.install', /k3os\.install: unknown key: MaculaOS is flashed/],
  ])('still refuses a misspelt key %s by name', (_what, yaml, field, message) => {
    const e = refusal(yaml);
    expect(e.details).toMatchObject({ field });
    expect(e.message).toMatch(message);
  });
});
