import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogImageSchema } from '../shared/catalog';
import { openImage } from '../electron/engine/source/open-image';
import { writeImage } from '../electron/engine/write/write-targets';
import { type GpgHome, createGpgHome } from './helpers/gpg';

/**
 * Issue 7 part 1, end to end: build the MaculaOS image from Debian packages (cached in .cache/image-build, so only the
 * first run is slow), flash it with the app's engine and a seed onto a 2 GiB file, boot that under QEMU (TCG) and
 * read from the serial console that the node applied the seed; then check on the powered-off disk that the state
 * partition grew, got a new UUID and lost its growpart marker; boot again and check the state persisted.
 * Root only (mmdebstrap, chroot, loop devices); its own file so CI can run it beside the rest.
 */

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..');
const MiB = 1 << 20;
const VERSION = '0.1.0';
const SEED = `#cloud-config
hostname: e2e-node-1
ssh_authorized_keys:
  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJY5j9GcVBBfM/84ACor2lGlZZ0gfNFdLbCMa+yY/kvD ops@example
maculaos:
  timezone: Europe/Amsterdam
  keyboard: de(nodeadkeys)
  locale: en_US.UTF-8
  mesh:
    relay: true
  pairing:
    node_id: e2e-node-1-id
    key: ${'k'.repeat(43)}
`;

/** A QEMU guest this test started, its serial console logged to a file, with an HMP monitor on a unix socket. */
interface Guest {
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** Resolves with the serial log's text once it matches `pattern`; rejects on timeout or guest exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<{ text: string; atMs: number }>;
  /** ACPI power button (systemd-logind powers off), then waits for QEMU to exit; kills it after `timeoutMs`. */
  powerDown(timeoutMs: number): Promise<'clean' | 'killed'>;
  /** Kills this QEMU (only this one: by its own pid). */
  kill(): void;
}

/** Boots a raw disk (or with `cdrom`, an ISO as a CD) under TCG (the host's nested KVM hangs Linux guests: shared/ARCHITECTURE.md). */
function bootDisk(disk: string, serialLog: string, monitorSocket: string, { cdrom = false } = {}): Guest {
  const args = [
    '-accel', 'tcg,thread=multi', '-smp', '2', '-m', '1024', '-display', 'none', '-nic', 'none', '-no-reboot',
    '-serial', `file:${serialLog}`, '-monitor', `unix:${monitorSocket},server,nowait`,
    // A CD (the bare ISO, read-only) or a stick (the flashed file, on virtio).
    ...(cdrom ? ['-cdrom', disk] : ['-drive', `file=${disk},format=raw,if=virtio`]),
  ];
  const child = spawn('qemu-system-x86_64', args, { stdio: 'ignore' });
  const startedAt = Date.now();
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));

  const waitFor = async (pattern: RegExp, timeoutMs: number): Promise<{ text: string; atMs: number }> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = (await readFile(serialLog, 'utf8').catch(() => '')).replaceAll('\r', '');
      if (pattern.test(text)) return { text, atMs: Date.now() - startedAt };
      if (exited) throw new Error(`QEMU exited before ${pattern}; serial log tail:\n${text.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs / 1000} s; serial log tail:\n${text.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const kill = (): void => {
    if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  const powerDown = async (timeoutMs: number): Promise<'clean' | 'killed'> => {
    await new Promise<void>((resolve) => {
      const socket = createConnection(monitorSocket, () => socket.end('system_powerdown\n'));
      // The monitor's banner must be read, or the stream never reaches 'end' and 'close'.
      socket.resume();
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    const timer = new Promise<'killed'>((resolve) => setTimeout(() => resolve('killed'), timeoutMs));
    const result = await Promise.race([exit.then(() => 'clean' as const), timer]);
    if (result === 'killed') kill();
    await exit;
    return result;
  };
  return { child, startedAt, waitFor, powerDown, kill };
}

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mmdebstrap --mode=root, chroot, loop devices)';
  for (const tool of ['mmdebstrap', 'mksquashfs', 'grub-mkrescue', 'qemu-system-x86_64']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (bash .ci/run installs it)`;
  }
  return undefined;
}
const reason = skipReason();
if (reason) console.log(`image-build.test.ts skipped: ${reason}`);

/** The MACULAOS_STATE partition of a disk file, from its partition table. */
async function statePartition(disk: string): Promise<{ start: number; size: number }> {
  const { stdout } = await run('sfdisk', ['--json', disk]);
  const table = (JSON.parse(stdout) as { partitiontable: { partitions: { start: number; size: number; name?: string }[] } }).partitiontable;
  const part = table.partitions.find((p) => p.name === 'MACULAOS_STATE') ?? table.partitions.at(-1);
  if (!part) throw new Error(`${disk}: no partitions`);
  return { start: part.start * 512, size: part.size * 512 };
}

/** Runs `work` with the state filesystem on a read-only loop device. */
async function withStateLoop<T>(disk: string, work: (dev: string) => Promise<T>): Promise<T> {
  const { start, size } = await statePartition(disk);
  const dev = (await run('losetup', ['--find', '--show', '--read-only', '--offset', String(start), '--sizelimit', String(size), disk])).stdout.trim();
  try {
    return await work(dev);
  } finally {
    await run('losetup', ['-d', dev]);
  }
}

async function fsFacts(dev: string): Promise<{ uuid: string; bytes: number }> {
  const { stdout } = await run('dumpe2fs', ['-h', dev]);
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(stdout)?.[1]?.trim() ?? '';
  return { uuid: field('Filesystem UUID'), bytes: Number(field('Block count')) * Number(field('Block size')) };
}

/** debugfs's answer: its output, and its banner and errors ("File not found by ext2_lookup") when `withErrors`. */
async function debugfs(dev: string, command: string, withErrors = true): Promise<string> {
  const { stdout, stderr } = await run('debugfs', ['-R', command, dev]);
  return withErrors ? stdout + stderr : stdout;
}

describe.skipIf(reason !== undefined)('MaculaOS image: build, flash with a seed, boot under QEMU', () => {
  let dir: string;
  let out: string;
  let gpg: GpgHome;
  let guest: Guest | undefined;
  const iso = (): string => join(out, `macula-os-${VERSION}-amd64.iso`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-image-'));
    out = join(dir, 'out');
    gpg = await createGpgHome();
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'image-build/build.ts', '--arch', 'amd64', '--variant', 'airgapped',
      '--version', VERSION, '--out', out, '--sign-key', gpg.fingerprint], { cwd: repo, env: { ...process.env, GNUPGHOME: gpg.home }, maxBuffer: 1 << 26 });
    console.log(`${stdout.split('\n').filter((l) => l.startsWith('image-build:') || l.startsWith('  ')).join('\n')}\nimage build (this run): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 40 * 60_000);

  afterAll(async () => {
    guest?.kill();
    await gpg?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('publishes the ISO, its netboot pieces, a signed SHA256SUMS and a catalog entry the app reads', async () => {
    const sums = await readFile(join(out, 'SHA256SUMS'), 'utf8');
    for (const name of [`macula-os-${VERSION}-amd64.iso`, `macula-os-${VERSION}-amd64-rootfs.squashfs`, `macula-os-${VERSION}-amd64-vmlinuz`, `macula-os-${VERSION}-amd64-initrd`]) {
      expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  ${name.replaceAll('.', '\\.')}$`, 'm'));
    }
    await run('sha256sum', ['--check', '--quiet', 'SHA256SUMS'], { cwd: out });
    await run('gpg', ['--batch', '--verify', 'SHA256SUMS.asc', 'SHA256SUMS'], { cwd: out, env: { ...process.env, GNUPGHOME: gpg.home } });

    const entry = catalogImageSchema.parse(JSON.parse(await readFile(join(out, 'catalog-entry.json'), 'utf8')));
    expect(entry).toMatchObject({ version: VERSION, arch: 'amd64', variant: 'airgapped', init_format: 'maculaos' });
    expect(sums).toContain(`${entry.extract_sha256}  macula-os-${VERSION}-amd64.iso`);

    const { stdout: label } = await run('blkid', ['-p', '-s', 'LABEL', '-o', 'value', iso()]);
    expect(label.trim()).toBe('MACULAOS');
    // Hybrid: El Torito for BIOS and an EFI System image for UEFI.
    const { stdout: boot } = await run('xorriso', ['-indev', iso(), '-report_el_torito', 'plain'], { maxBuffer: 1 << 22 }).catch((e: { stdout: string }) => e);
    expect(boot).toMatch(/El Torito boot img :\s+1\s+BIOS/);
    expect(boot).toMatch(/El Torito boot img :\s+2\s+UEFI/);
  });

  it('boots a seeded stick: applies the seed, grows MACULAOS_STATE once with a new UUID, keeps its state over a reboot', async () => {
    const disk = join(dir, 'stick.img');
    await run('truncate', ['-s', '2G', disk]);
    const flashed = await writeImage({ source: await openImage(iso()), targets: [disk], stateConfigs: [SEED] });
    const target = flashed.targets[0];
    expect(target?.ok).toBe(true);
    const flashUuid = target?.ok ? target.state?.uuid : undefined;
    expect(flashUuid).toMatch(/^[0-9a-f-]{36}$/);
    const before = await withStateLoop(disk, fsFacts);
    expect(before.bytes).toBe(16 * MiB);

    // First boot.
    guest = bootDisk(disk, join(dir, 'boot1.log'), join(dir, 'monitor1.sock'));
    const grown = await guest.waitFor(/MACULAOS: state partition grown/, 240_000);
    const applied = await guest.waitFor(/MACULAOS: seed applied hostname=e2e-node-1 .*mesh=relay/, 240_000);
    // The running kernel's name, as the serial getty prints it.
    const login = await guest.waitFor(/e2e-node-1 login:/, 240_000);
    console.log(`boot 1 under TCG: state grown at ${(grown.atMs / 1000).toFixed(1)} s, seed applied at ${(applied.atMs / 1000).toFixed(1)} s, login prompt at ${(login.atMs / 1000).toFixed(1)} s`);
    // The node agent is another issue's; say whether it came up, for whoever reads the log.
    console.log(`node agent: ${/"event":"listening"/.test(login.text) ? 'listening' : 'not listening yet at the login prompt'}`);
    expect(await guest.powerDown(120_000)).toBe('clean');

    const after = await withStateLoop(disk, async (dev) => {
      await run('e2fsck', ['-f', '-n', dev]);
      return {
        ...(await fsFacts(dev)),
        marker: await debugfs(dev, 'stat /macula/system/growpart'),
        config: await debugfs(dev, 'stat /macula/system/config.yaml'),
        hostname: await debugfs(dev, 'cat /overlay/upper/etc/hostname', false),
      };
    });
    const partition = await statePartition(disk);
    expect(after.uuid).not.toBe(flashUuid);
    expect(after.bytes).toBeGreaterThan(partition.size - 8 * MiB);
    expect(after.marker).toMatch(/File not found/);
    expect(after.config).toMatch(/Mode:\s+0600/);
    expect(after.hostname.trim()).toBe('e2e-node-1');

    // Second boot: nothing to grow, and systemd finds the persisted hostname before the seed service runs.
    guest = bootDisk(disk, join(dir, 'boot2.log'), join(dir, 'monitor2.sock'));
    const again = await guest.waitFor(/MACULAOS: seed applied hostname=e2e-node-1/, 240_000);
    expect(again.text).toMatch(/Hostname set to <e2e-node-1>/);
    expect(again.text).not.toMatch(/state partition grown/);
    // logind handles the power button only once it runs: wait for the login prompt before pressing it.
    const login2 = await guest.waitFor(/e2e-node-1 login:/, 240_000);
    console.log(`boot 2 under TCG: seed applied at ${(again.atMs / 1000).toFixed(1)} s, login prompt at ${(login2.atMs / 1000).toFixed(1)} s`);
    expect(await guest.powerDown(120_000)).toBe('clean');
    const uuidAfterReboot = await withStateLoop(disk, async (dev) => (await fsFacts(dev)).uuid);
    expect(uuidAfterReboot).toBe(after.uuid);
  }, 15 * 60_000);

  it('boots without a seed (the bare ISO as a CD): RAM overlay, image defaults, waits to be paired', async () => {
    guest = bootDisk(iso(), join(dir, 'cd.log'), join(dir, 'monitor-cd.sock'), { cdrom: true });
    const login = await guest.waitFor(/maculaos login:/, 240_000);
    expect(login.text).toMatch(/MACULAOS: no state partition: changes are kept in RAM only/);
    expect(login.text).toMatch(/MACULAOS: no seed found, booting with defaults/);
    console.log(`unseeded CD boot under TCG: login prompt at ${(login.atMs / 1000).toFixed(1)} s`);
    expect(await guest.powerDown(120_000)).toBe('clean');
  }, 10 * 60_000);
});
