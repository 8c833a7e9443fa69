import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Plan §4.3's live persistence options, carried out by the live initrd's script
 * (image-build/rootfs/etc/initramfs-tools/scripts/maculaos) on real loop devices: its functions run in busybox sh,
 * as in the initrd, inside a private mount namespace (unshare -m), with the host's util-linux and e2fsprogs in place of
 * the copies the initrd carries, and the device scan pointed at this test's loops (the script skips loop devices).
 */

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../image-build/rootfs/etc/initramfs-tools/scripts/maculaos');
const MiB = 1024 * 1024;
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const reason =
  process.getuid?.() !== 0
    ? 'needs root (loop devices, mount)'
    : ['busybox', 'losetup', 'partx', 'sfdisk', 'mkfs.ext4', 'unshare'].find((c) => !has(c))?.concat(' is not installed');
if (reason) console.log(`initramfs-persistence.test.ts skipped: ${reason}`);

interface Loop {
  readonly dev: string;
  readonly part: string;
}

describe.skipIf(reason !== undefined)('the live initrd and maculaos.live', () => {
  let dir: string;
  const loops: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'initrd-persist-'));
  });
  afterAll(async () => {
    for (const dev of loops) {
      await run('partx', ['-d', dev]).catch(() => undefined);
      await run('losetup', ['-d', dev]).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** A `size` MiB disk with one 16 MiB ext4 partition labelled `label`, holding `files` (path → text). */
  async function disk(name: string, size: number, label: string, files: Record<string, string>): Promise<Loop> {
    const image = join(dir, `${name}.img`);
    await run('truncate', ['-s', `${size}M`, image]);
    await run('sh', ['-c', `echo 'start=2048, size=32768, type=83' | sfdisk --quiet ${image}`]);
    const dev = (await run('losetup', ['-f', '--show', image])).stdout.trim();
    loops.push(dev);
    await run('partx', ['-a', dev]);
    const part = `${dev}p1`;
    await run('mkfs.ext4', ['-q', '-L', label, part]);
    const mnt = join(dir, `${name}.mnt`);
    await mkdir(mnt);
    await run('mount', [part, mnt]);
    try {
      for (const [path, text] of Object.entries(files)) {
        await mkdir(join(mnt, path, '..'), { recursive: true });
        await writeFile(join(mnt, path), text);
      }
    } finally {
      await run('umount', [mnt]);
    }
    return { dev, part };
  }

  /** Runs macula_setup_state over `loops`; returns its console lines and what it left mounted where. */
  async function setupState(name: string, devices: readonly Loop[]): Promise<{ lines: string; upper: string; mounts: string; partMiB: number }> {
    const runDir = join(dir, `${name}.run`);
    await mkdir(runDir, { recursive: true });
    const script = [
      `. ${SCRIPT}`,
      `MACULA_RUN=${runDir}`,
      'SFDISK=sfdisk PARTX=partx LOSETUP=losetup BLKID=blkid BLOCKDEV=blockdev E2FSCK=e2fsck RESIZE2FS=resize2fs TUNE2FS=tune2fs',
      'macula_param() { return 1; }',
      `macula_block_devices() { echo ${devices.map((d) => `${d.dev} ${d.part}`).join(' ')} | tr ' ' '\\n'; }`,
      'macula_setup_state',
      'echo "UPPER=$MACULA_UPPER"',
      `grep " ${runDir}/" /proc/mounts | sed "s|^\\([^ ]*\\) ${runDir}/\\([^ ]*\\) ext4 \\([^,]*\\).*|MOUNT \\1 \\2 \\3|"`,
    ].join('\n');
    const { stdout } = await run('unshare', ['-m', '--propagation', 'private', 'busybox', 'sh', '-c', script], { timeout: 60_000 });
    const first = devices[0];
    const sectors = first ? Number((await run('cat', [`/sys/class/block/${first.part.slice(5)}/size`])).stdout) : 0;
    return {
      lines: stdout.split('\n').filter((l) => l.startsWith('MACULAOS:')).join('\n'),
      upper: /^UPPER=(.*)$/m.exec(stdout)?.[1] ?? '',
      mounts: stdout.split('\n').filter((l) => l.startsWith('MOUNT ')).join('\n'),
      partMiB: (sectors * 512) / MiB,
    };
  }

  const seed = (live: string): Record<string, string> => ({
    'macula/system/config.yaml': `#cloud-config\nhostname: n1\nmaculaos:\n  timezone: UTC\n  live:\n${live}`,
    'macula/system/growpart': '',
  });

  it('live.persistence: false keeps the state partition read-only and ungrown, and the overlay in RAM', async () => {
    const d = await disk('off', 64, 'MACULAOS_STATE', seed('    persistence: false\n'));
    const r = await setupState('off', [d]);
    expect(r.upper).toBe('');
    expect(r.mounts).toBe(`MOUNT ${d.part} state ro`);
    expect(r.partMiB).toBe(16);
    expect(r.lines).toMatch(/mounted read-only .*live\.persistence is false, changes are kept in RAM only/);
  });

  it('live.persistence_size bounds the first boot\'s growth', async () => {
    const d = await disk('size', 96, 'MACULAOS_STATE', seed('    persistence_size: 40M\n'));
    const r = await setupState('size', [d]);
    expect(r.partMiB).toBe(40);
    expect(r.upper).toMatch(/\/state\/overlay$/);
    expect(r.mounts).toBe(`MOUNT ${d.part} state rw`);
    expect(r.lines).toMatch(/state partition grown: filesystem 16 MiB -> 40 MiB/);
  });

  it('live.persistence_device puts the overlay on another disk\'s partition, found by label', async () => {
    const state = await disk('dev-state', 32, 'MACULAOS_STATE', seed('    persistence_device: LABEL=MACULA_DATA\n'));
    const data = await disk('dev-data', 32, 'MACULA_DATA', {});
    const r = await setupState('dev', [state, data]);
    expect(r.upper).toMatch(/\/persist\/overlay$/);
    expect(r.mounts).toContain(`MOUNT ${data.part} persist rw`);
    expect(r.lines).toContain(`live.persistence_device LABEL=MACULA_DATA: changes are kept on ${data.part}`);
  });
});
