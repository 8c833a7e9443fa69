import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../image-build/seed-apply/main.ts');
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const reason = process.getuid?.() !== 0 ? 'needs root (chpasswd -R chroots)' : ['chpasswd', 'openssl'].find((c) => !has(c))?.concat(' is not installed');
if (reason) console.log(`seed-apply-k3os.test.ts skipped: ${reason}`);

/**
 * The applier as the node runs it (main.ts: read the seed, plan, apply), against a scratch root holding the image's
 * /etc/passwd and /etc/shadow, fed a k3OS config. What systemd does with the files afterwards (modules-load.d,
 * sysctl.d, the k3s unit) is its documented behaviour; the boot_cmd script is run here as its unit runs it.
 */
describe.skipIf(reason !== undefined)('the seed applier on a k3OS config', () => {
  let root: string;
  let stdout: string;
  const password = 'k3os-s3cr3t-pw';
  const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13]);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'seed-k3os-'));
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nmacula:x:1000:1000::/home/macula:/bin/bash\n');
    await writeFile(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\nmacula:!:19000:0:99999:7:::\n', { mode: 0o640 });
    const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64');
    // 64 MiB of zeros packs into ~64 KiB of gzip: a seed-sized file that must not unpack on the node.
    const bomb = b64(gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    const seed = [
      'hostname: k3os-node',
      'init_cmd:',
      `- "ls ${root}/etc > ${root}/init-saw; echo init >> ${root}/order"`,
      'boot_cmd:',
      `- "echo boot >> ${root}/order"`,
      'write_files:',
      `- { path: /etc/b64.bin, encoding: b64, content: "${b64(binary)}" }`,
      `- { path: /etc/gz.txt, encoding: gz+b64, content: "${b64(gzipSync('gzipped\n'))}", permissions: "0600" }`,
      `- { path: /etc/gzip.txt, encoding: gzip+base64, content: "${b64(gzipSync('also gzipped\n'))}" }`,
      `- { path: /etc/bomb, encoding: gz+b64, content: "${bomb}" }`,
      'k3os:',
      '  modules: [kvm, "nf_conntrack hashsize=65536"]',
      '  sysctl: { vm.swappiness: 10, net.ipv4.ip_forward: "1" }',
      '  environment: { http_proxy: "http://proxy.lan:3128", NO_PROXY: "localhost,10.0.0.0/8" }',
      `  password: ${password}`,
      '  k3s_args: [server, --cluster-init, "--node-name=a b"]',
      '  taints: ["key1=value1:NoSchedule"]',
      '',
    ].join('\n');
    await writeFile(join(root, 'config.yaml'), seed);
    ({ stdout } = await run(join(process.cwd(), 'node_modules/.bin/tsx'), [MAIN, '--seed', join(root, 'config.yaml'), '--root', root, '--run-dir', '/run/maculaos'], { maxBuffer: 1 << 20 }));
  }, 60_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const read = (path: string): Promise<string> => readFile(join(root, path), 'utf8');

  it('runs init_cmd before anything else is applied, and before boot_cmd', async () => {
    expect(await read('init-saw')).not.toContain('hostname');
    expect(await read('etc/hostname')).toBe('k3os-node\n');
    await run('/bin/sh', [join(root, 'run/maculaos/boot_cmd.sh')]);
    expect(await read('order')).toBe('init\nboot\n');
    expect(stdout).toMatch(/MACULAOS: init_cmd done: 1 command, 0 failed/);
  });

  it('writes modules for systemd-modules-load, their parameters for modprobe, and sysctls for systemd-sysctl', async () => {
    expect(await read('etc/modules-load.d/50-maculaos-seed.conf')).toMatch(/\nkvm\nnf_conntrack\n$/);
    expect(await read('etc/modprobe.d/50-maculaos-seed.conf')).toMatch(/\noptions nf_conntrack hashsize=65536\n$/);
    expect(await read('etc/sysctl.d/50-maculaos-seed.conf')).toMatch(/\nvm\.swappiness = 10\nnet\.ipv4\.ip_forward = 1\n$/);
  });

  it('writes the environment for logins and k3s, as systemd reads an EnvironmentFile', async () => {
    expect(await read('etc/environment')).toMatch(/\nhttp_proxy="http:\/\/proxy\.lan:3128"\nNO_PROXY="localhost,10\.0\.0\.0\/8"\n$/);
    const { stdout: env } = await run('/bin/sh', ['-c', `set -a; . ${join(root, 'etc/environment')}; printf '%s' "$http_proxy"`]);
    expect(env).toBe('http://proxy.lan:3128');
  });

  it('passes k3s args word for word, the role from the first, and taints to k3s', async () => {
    expect(await read('run/maculaos/k3s.env')).toBe('K3S_ROLE=server\n');
    const { stdout: words } = await run('/bin/sh', ['-c', `. ${join(root, 'run/maculaos/k3s-args.sh')}; printf '%s|' "$@"`]);
    expect(words).toBe('--cluster-init|--node-name=a b|');
    expect(await read('etc/rancher/k3s/config.yaml')).toContain('node-taint:\n  - "key1=value1:NoSchedule"\n');
  });

  it('sets the login password as a SHA-512 crypt hash, never shown', async () => {
    const shadow = await read('etc/shadow');
    expect(shadow).toMatch(/^macula:\$6\$[^:]+:/m);
    expect(shadow).not.toContain(password);
    expect(stdout).not.toContain(password);
    expect(stdout).toMatch(/seed applied .*password=set/);
  });

  it('decodes write_files in b64, gz+b64 and gzip+base64, and leaves out a gzip bomb', async () => {
    expect(await readFile(join(root, 'etc/b64.bin'))).toEqual(binary);
    expect(await read('etc/gz.txt')).toBe('gzipped\n');
    expect(await read('etc/gzip.txt')).toBe('also gzipped\n');
    await expect(access(join(root, 'etc/bomb'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(stdout).toMatch(/MACULAOS: seed: write_files\[3\] \(\/etc\/bomb\) not written: its gz\+b64 content unpacks to more than 1048576 bytes/);
  });
});
