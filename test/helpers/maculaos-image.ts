import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { GpgHome } from './gpg';

/**
 * What the MaculaOS image tests share (test/image-build.test.ts, test/image-e2e.test.ts, test/image-netboot.test.ts):
 * building the image (cached in .cache/image-build), booting it under QEMU, and reading its state partition once the
 * guest is off.
 */

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');
export const IMAGE_VERSION = '0.1.0';

/** Why the image tests cannot run here, or undefined when they can. */
export function imageTestsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mmdebstrap --mode=root, chroot, loop devices)';
  for (const tool of ['mmdebstrap', 'mksquashfs', 'unsquashfs', 'grub-mkrescue', 'qemu-system-x86_64', 'qemu-img', 'flock']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (bash .ci/run installs it)`;
  }
  return undefined;
}

/**
 * Bundles the node agent (so the image has it) and builds the image into `out`, signed with `gpg`'s key; returns
 * the build's summary lines. Both image test files run this at once under Vitest's fork pool: the lock makes the second
 * wait for the first and then hit its cache, instead of two builds writing the same cache folders and dist/agent.
 */
export async function buildMaculaImage(out: string, gpg: GpgHome): Promise<string> {
  const cache = join(repo, '.cache');
  await mkdir(cache, { recursive: true });
  const script = 'node image-build/agent/build.mjs && exec node --import tsx image-build/build.ts "$@"';
  const started = Date.now();
  const { stdout } = await run('flock', [join(cache, 'image-build.lock'), 'sh', '-c', script, 'sh', '--arch', 'amd64', '--variant', 'airgapped',
    '--version', IMAGE_VERSION, '--out', out, '--sign-key', gpg.fingerprint], { cwd: repo, env: { ...process.env, GNUPGHOME: gpg.home }, maxBuffer: 1 << 26 });
  const summary = stdout.split('\n').filter((l) => l.startsWith('image-build:') || l.startsWith('  ')).join('\n');
  return `${summary}\nimage build (this run, lock wait included): ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

export const isoPath = (out: string): string => join(out, `macula-os-${IMAGE_VERSION}-amd64.iso`);
export const qcow2Path = (out: string): string => join(out, `macula-os-${IMAGE_VERSION}-amd64.qcow2`);

/**
 * Builds the netboot variant into `out` (same lock and cache as {@link buildMaculaImage}: the root step is shared), its
 * initrd trusting `gpg`'s key and its ISO pointing at `baseUrl`; returns the build's summary lines.
 */
export async function buildMaculaNetboot(out: string, gpg: GpgHome, baseUrl: string): Promise<string> {
  const cache = join(repo, '.cache');
  await mkdir(cache, { recursive: true });
  const script = 'node image-build/agent/build.mjs && exec node --import tsx image-build/build.ts "$@"';
  const started = Date.now();
  const { stdout } = await run('flock', [join(cache, 'image-build.lock'), 'sh', '-c', script, 'sh', '--arch', 'amd64', '--variant', 'netboot',
    '--version', IMAGE_VERSION, '--out', out, '--sign-key', gpg.fingerprint, '--base-url', baseUrl], { cwd: repo, env: { ...process.env, GNUPGHOME: gpg.home }, maxBuffer: 1 << 26 });
  const summary = stdout.split('\n').filter((l) => l.startsWith('image-build:') || l.startsWith('  ')).join('\n');
  return `${summary}\nnetboot build (this run, lock wait included): ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

/** Why the Raspberry Pi IMG test cannot run here (besides MACULA_SLOW_TESTS), or undefined when it can. */
export function rpiImageTestsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mmdebstrap --mode=root, chroot, loop devices)';
  for (const tool of ['mmdebstrap', 'mksquashfs', 'xorriso', 'mkfs.vfat', 'fsck.vfat', 'mcopy', 'qemu-system-aarch64', 'flock']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (docs/image-build.md, "Raspberry Pi IMG")`;
  }
  if (spawnSync('sh', ['-c', 'test -e /proc/sys/fs/binfmt_misc/qemu-aarch64']).status !== 0) {
    return 'qemu-aarch64 is not registered in binfmt_misc (apt install qemu-user-static binfmt-support; docs/image-build.md)';
  }
  return undefined;
}

/**
 * Builds the Raspberry Pi IMG (`--arch arm64 --variant rpi`) into `out`, signed with `gpg`'s key. The agent is bundled
 * under the amd64 builds' lock (it writes dist/agent); the build itself takes a lock of its own, since its steps and
 * cache entries (base-arm64, root-arm64, rpi-img) are not the amd64 ones, and a cold arm64 build (10–20 min under
 * qemu-user) should not hold up the amd64 image tests.
 */
export async function buildMaculaRpi(out: string, gpg: GpgHome): Promise<string> {
  const cache = join(repo, '.cache');
  await mkdir(cache, { recursive: true });
  const started = Date.now();
  await run('flock', [join(cache, 'image-build.lock'), 'node', 'image-build/agent/build.mjs'], { cwd: repo, maxBuffer: 1 << 26 });
  const { stdout } = await run('flock', [join(cache, 'image-build-arm64.lock'), 'node', '--import', 'tsx', 'image-build/build.ts', '--arch', 'arm64', '--variant', 'rpi',
    '--version', IMAGE_VERSION, '--out', out, '--sign-key', gpg.fingerprint], { cwd: repo, env: { ...process.env, GNUPGHOME: gpg.home }, maxBuffer: 1 << 26 });
  const summary = stdout.split('\n').filter((l) => l.startsWith('image-build:') || l.startsWith('  ')).join('\n');
  return `${summary}\nrpi build (this run, lock wait included): ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

/** The Raspberry Pi IMG in a build's `out` folder (plan §8.2: macula-os-{version}-{arch}.{format}). */
export const rpiImgPath = (out: string): string => join(out, `macula-os-${IMAGE_VERSION}-arm64.img`);

/** The netboot release's files in a build's `out` folder (plan §8.2 names). */
export function netbootPaths(out: string): { readonly vmlinuz: string; readonly initrd: string; readonly squashfs: string; readonly iso: string } {
  const prefix = join(out, `macula-os-${IMAGE_VERSION}-amd64`);
  return { vmlinuz: `${prefix}-vmlinuz`, initrd: `${prefix}-netboot-initrd`, squashfs: `${prefix}-rootfs.squashfs`, iso: `${prefix}-netboot.iso` };
}

/** A QEMU guest a test started, its serial console logged to a file, with an HMP monitor on a unix socket. */
export interface Guest {
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** Resolves with the serial log's text once it matches `pattern`; rejects on timeout or guest exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<{ text: string; atMs: number }>;
  /** ACPI power button (systemd-logind powers off), then waits for QEMU to exit; kills it after `timeoutMs`. */
  powerDown(timeoutMs: number): Promise<'clean' | 'killed'>;
  /** Kills this QEMU (only this one: by its own pid). */
  kill(): void;
  /**
   * The text on the guest's screen, read from the VGA text buffer (guest memory 0xB8000, 32 KiB: vgacon scrolls within
   * it), 80 characters a line; characters outside printable ASCII read as `?`. Needs `vga: 'text'`.
   */
  readScreen(): Promise<string>;
}

export interface BootOptions {
  /** Boot `disk` as a CD (the bare ISO, read-only) instead of a virtio stick. */
  readonly cdrom?: boolean;
  /**
   * A virtio NIC on tap device `tap`, which exists in network namespace `netns`: QEMU then runs inside that namespace
   * (`ip netns exec` execs it, so the child's pid is QEMU's own). Without it the guest has no network (`-nic none`).
   */
  readonly net?: { readonly netns: string; readonly tap: string; readonly mac: string };
  /** The disk file's format (default raw): `qcow2` for the VM image. */
  readonly format?: 'raw' | 'qcow2';
  /**
   * `text`: an ISA VGA card instead of the PCI one. No DRM driver binds it (bochs-drm takes QEMU's PCI VGA and turns
   * tty1 into a framebuffer), so the screen stays in VGA text mode and `readScreen` can read it.
   */
  readonly vga?: 'text';
}

/** A kernel and initrd booted directly (`-kernel`, `-initrd`, `-append`), as a PXE loader or the netboot ISO's GRUB would. */
export interface KernelBoot {
  readonly kernel: string;
  readonly initrd: string;
  readonly append: string;
}

/** Boots a raw disk (or an ISO as a CD) under TCG (the host's nested KVM hangs Linux guests: shared/ARCHITECTURE.md). */
export function bootDisk(disk: string, serialLog: string, monitorSocket: string, { cdrom = false, net, format = 'raw', vga }: BootOptions = {}): Guest {
  // A CD (the bare ISO, read-only) or a stick (the flashed file, on virtio).
  const media = cdrom ? ['-cdrom', disk] : ['-drive', `file=${disk},format=${format},if=virtio`];
  return startGuest([...media, ...(vga === 'text' ? ['-vga', 'none', '-device', 'isa-vga'] : [])], serialLog, monitorSocket, net);
}

/** Boots a kernel and initrd without a disk (the netboot test), under TCG like {@link bootDisk}. */
export function bootKernel({ kernel, initrd, append }: KernelBoot, serialLog: string, monitorSocket: string, { net }: BootOptions = {}): Guest {
  return startGuest(['-kernel', kernel, '-initrd', initrd, '-append', append], serialLog, monitorSocket, net);
}

/**
 * Boots an arm64 kernel and initrd on QEMU's generic `virt` board (Cortex-A72, 1 GiB, TCG) with `disk` as a virtio
 * disk: the Raspberry Pi IMG test. QEMU 7.2 (bookworm) has raspi3b but no raspi4b machine, and raspi3b has no USB
 * or SD path the Debian kernel and this initrd would find the disk through as simply, so the board is `virt` and the
 * kernel and initrd are the ones from the IMG's FAT partition. The serial console is ttyAMA0 (PL011).
 */
export function bootArm64Disk({ kernel, initrd, append }: KernelBoot, disk: string, serialLog: string, monitorSocket: string): Guest {
  return startGuest(['-kernel', kernel, '-initrd', initrd, '-append', append, '-drive', `file=${disk},format=raw,if=virtio`], serialLog, monitorSocket, undefined, {
    binary: 'qemu-system-aarch64',
    machine: ['-M', 'virt', '-cpu', 'cortex-a72'],
  });
}

function startGuest(
  media: readonly string[],
  serialLog: string,
  monitorSocket: string,
  net: BootOptions['net'],
  { binary = 'qemu-system-x86_64', machine = [] }: { readonly binary?: string; readonly machine?: readonly string[] } = {},
): Guest {
  const args = [
    ...machine,
    '-accel', 'tcg,thread=multi', '-smp', '2', '-m', '1024', '-display', 'none', '-no-reboot',
    '-serial', `file:${serialLog}`, '-monitor', `unix:${monitorSocket},server,nowait`,
    ...(net
      ? ['-netdev', `tap,id=n0,ifname=${net.tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${net.mac}`]
      : ['-nic', 'none']),
    ...media,
  ];
  const child = net
    ? spawn('ip', ['netns', 'exec', net.netns, binary, ...args], { stdio: 'ignore' })
    : spawn(binary, args, { stdio: 'ignore' });
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
  /** Runs an HMP command and keeps the connection until `done()` holds (HMP has no reply to wait for but its echo). */
  const monitor = (command: string, done: () => Promise<boolean>): Promise<void> =>
    new Promise<void>((resolve) => {
      const socket = createConnection(monitorSocket, () => socket.write(`${command}\n`));
      socket.resume();
      const deadline = Date.now() + 10_000;
      const check = async (): Promise<void> => {
        if ((await done()) || Date.now() > deadline) socket.end();
        else setTimeout(() => void check(), 100);
      };
      void check();
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
  const readScreen = async (): Promise<string> => {
    const dump = `${monitorSocket}.vga`;
    await rm(dump, { force: true });
    const full = (): Promise<boolean> => stat(dump).then((s) => s.size === 32768, () => false);
    // Quoted: unquoted, HMP reads `32768 /run/…` as a division.
    await monitor(`pmemsave 0xb8000 0x8000 "${dump}"`, full);
    const bytes = await readFile(dump);
    let text = '';
    for (let i = 0; i < bytes.length; i += 2) {
      const ch = bytes[i] ?? 0;
      text += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : '?';
      if ((i / 2) % 80 === 79) text += '\n';
    }
    return text;
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
  return { child, startedAt, waitFor, powerDown, kill, readScreen };
}

/** The MACULAOS_STATE partition of a disk file, from its partition table. */
export async function statePartition(disk: string): Promise<{ start: number; size: number }> {
  const { stdout } = await run('sfdisk', ['--json', disk]);
  const table = (JSON.parse(stdout) as { partitiontable: { partitions: { start: number; size: number; name?: string }[] } }).partitiontable;
  const part = table.partitions.find((p) => p.name === 'MACULAOS_STATE') ?? table.partitions.at(-1);
  if (!part) throw new Error(`${disk}: no partitions`);
  return { start: part.start * 512, size: part.size * 512 };
}

/** Runs `work` with the state filesystem on a read-only loop device. */
export async function withStateLoop<T>(disk: string, work: (dev: string) => Promise<T>): Promise<T> {
  const { start, size } = await statePartition(disk);
  const dev = (await run('losetup', ['--find', '--show', '--read-only', '--offset', String(start), '--sizelimit', String(size), disk])).stdout.trim();
  try {
    return await work(dev);
  } finally {
    await run('losetup', ['-d', dev]);
  }
}

export async function fsFacts(dev: string): Promise<{ uuid: string; bytes: number }> {
  const { stdout } = await run('dumpe2fs', ['-h', dev]);
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(stdout)?.[1]?.trim() ?? '';
  return { uuid: field('Filesystem UUID'), bytes: Number(field('Block count')) * Number(field('Block size')) };
}

/** debugfs's answer: its output, and its banner and errors ("File not found by ext2_lookup") when `withErrors`. */
export async function debugfs(dev: string, command: string, withErrors = true): Promise<string> {
  const { stdout, stderr } = await run('debugfs', ['-R', command, dev]);
  return withErrors ? stdout + stderr : stdout;
}
