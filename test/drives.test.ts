import { readFileSync, readlinkSync, existsSync, realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Drive } from '../shared/drive';
import { MaculaError } from '../shared/errors';
import { EXIT, exitCodeFor } from '../electron/cli/exit-codes';
import { assertWritable, checkTarget } from '../electron/engine/drives/check-target';
import { describeTarget } from '../electron/engine/drives/describe-target';
import { driveHoldsFile } from '../electron/engine/drives/holds-file';
import { type DriveSource, type SourceDrive, listDrives } from '../electron/engine/drives/list-drives';
import { watchDrives } from '../electron/engine/drives/watch-drives';
import { macula } from './helpers/cli';
import { LoopLab } from './helpers/loop-device';

const MiB = 1 << 20;
const isRoot = process.getuid?.() === 0;

/** The whole disk behind `/`, found independently of the code under test: mountinfo MAJ:MIN → sysfs → parent disk. */
function rootDisk(): string {
  const line = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === '/');
  const devNo = line?.split(' ')[2];
  if (devNo === undefined) throw new Error('no / in /proc/self/mountinfo');
  const name = basename(readlinkSync(`/sys/dev/block/${devNo}`));
  const disk = existsSync(`/sys/class/block/${name}/partition`) ? basename(dirname(realpathSync(`/sys/class/block/${name}`))) : name;
  return `/dev/${disk}`;
}

describe.skipIf(!isRoot)('target drives on real loop devices (root)', () => {
  let lab: LoopLab;
  beforeAll(() => {
    lab = new LoopLab();
  });
  afterEach(() => lab.cleanup());
  afterAll(() => lab.dispose());

  it('describes a 64 MiB loop: size, writable, a disk, not mounted, not system', async () => {
    const loop = lab.create({ sizeMiB: 64 });
    const drive = await describeTarget(loop.device);
    expect(drive).toEqual({
      device: loop.device,
      size: 64 * MiB,
      description: `loop device on ${loop.file}`,
      busType: 'UNKNOWN',
      removable: false,
      system: false,
      readOnly: false,
      mountpoints: [],
      kind: 'disk',
      isVirtual: true,
      uses: [],
    } satisfies Drive);
    // The image sits on the system disk, like the loop's backing file, but writing the loop cannot reach it.
    const image = lab.sparseFile(32);
    expect(await driveHoldsFile(drive, image)).toBe(false);
    expect(await checkTarget(loop.device, { imageSize: 32 * MiB, imagePath: image })).toMatchObject({ refusals: [], warnings: [] });
  });

  it('refuses a read-only loop (losetup -r) with a clear message', async () => {
    const loop = lab.create({ sizeMiB: 16, readOnly: true });
    expect((await describeTarget(loop.device)).readOnly).toBe(true);
    const message = `refusing ${loop.device}: the device is read-only`;
    expect((await checkTarget(loop.device)).refusals).toEqual([{ reason: 'read-only', message }]);
    await expect(assertWritable(loop.device)).rejects.toMatchObject({ code: 'ERR_TARGET_READ_ONLY', message, details: { path: loop.device } });
  });

  it('sees the mounted ext4 partition of a partitioned loop and refuses the disk: a mount outside /media is in use', async () => {
    const loop = lab.create({ sizeMiB: 64, partitions: 'label: dos\n,32M,83\n,,83\n', mountExt4: true });
    const mountDir = loop.mountDir ?? '';
    expect(loop.partitions).toHaveLength(2);
    const check = await checkTarget(loop.device);
    expect(check.drive.mountpoints).toEqual([mountDir]);
    expect(check.drive.uses).toEqual([{ kind: 'mount', mountPoint: mountDir }]);
    const system = { reason: 'system', message: `refusing ${loop.device}: it is a system disk (holds ${mountDir})` };
    expect(check.refusals).toEqual([system]);
    expect(check.warnings).toEqual([
      { reason: 'mounted', message: `${loop.device} is mounted at ${mountDir}; it will be unmounted before writing` },
    ]);
    const image = join(mountDir, 'images', 'maculaos.img');
    await mkdir(dirname(image));
    await writeFile(image, Buffer.alloc(MiB));
    expect(await driveHoldsFile(check.drive, image)).toBe(true);
    expect((await checkTarget(loop.device, { imagePath: image })).refusals).toEqual([
      system,
      { reason: 'source', message: `refusing ${loop.device}: it holds the source image` },
    ]);
    await expect(describeTarget(loop.partitions[0] ?? '')).rejects.toMatchObject({
      code: 'ERR_TARGET_UNSUPPORTED',
      message: `${loop.partitions[0]} is a partition; give the whole disk ${loop.device}`,
    });
  });

  it('refuses the system disk (the one backing /), which also holds the image and the app', async () => {
    const root = rootDisk();
    const image = lab.sparseFile(1);
    const check = await checkTarget(root, { imagePath: image });
    expect(check.drive.system).toBe(true);
    expect(check.drive.mountpoints).toContain('/');
    expect(check.refusals.map((r) => r.reason)).toEqual(['system', 'app', 'source']);
    // Other mounts may show too: a loop mounted by a concurrent test has its backing file on this disk.
    expect(check.refusals[0]?.message).toMatch(new RegExp(`^refusing ${root}: it is a system disk \\(holds /[,;)]`));
    await expect(assertWritable(root, { imagePath: image })).rejects.toMatchObject({ code: 'ERR_TARGET_SYSTEM_DRIVE' });
  });

  it('counts a disk backing active swap (/proc/swaps) as a system drive', async () => {
    const loop = lab.create({ sizeMiB: 16, swap: true });
    const check = await checkTarget(loop.device);
    expect(check.drive.system).toBe(true);
    expect(check.drive.uses).toEqual([{ kind: 'swap' }]);
    expect(check.refusals[0]).toEqual({ reason: 'system', message: `refusing ${loop.device}: it is a system disk (swap)` });
  });

  it('refuses a target smaller than the image, naming both sizes, and accepts one of exactly its size', async () => {
    const loop = lab.create({ sizeMiB: 64 });
    const image = lab.sparseFile(256);
    const message = `refusing ${loop.device}: 64 MiB is smaller than the 256 MiB image`;
    expect((await checkTarget(loop.device, { imageSize: 256 * MiB, imagePath: image })).refusals).toEqual([{ reason: 'too-small', message }]);
    await expect(assertWritable(loop.device, { imageSize: 256 * MiB, imagePath: image })).rejects.toMatchObject({
      code: 'ERR_TARGET_TOO_SMALL',
      message,
      details: { path: loop.device, expected: 256 * MiB, actual: 64 * MiB },
    });
    expect((await assertWritable(loop.device, { imageSize: 64 * MiB })).refusals).toEqual([]);
  });

  it('refuses the loop whose backing file is the image, and the system disk the image lives on', async () => {
    const image = lab.sparseFile(32, 'maculaos.img');
    const same = lab.create({ file: image });
    const other = lab.create({ sizeMiB: 32 });
    const sameDrive = await describeTarget(same.device);
    expect(await driveHoldsFile(sameDrive, image)).toBe(true);
    expect(await driveHoldsFile(await describeTarget(other.device), image)).toBe(false);
    expect(await driveHoldsFile(await describeTarget(rootDisk()), image)).toBe(true);
    await expect(assertWritable(same.device, { imagePath: image, imageSize: 32 * MiB })).rejects.toMatchObject({
      code: 'ERR_TARGET_SOURCE_DRIVE',
      message: `refusing ${same.device}: it holds the source image`,
    });
    await expect(assertWritable(other.device, { imagePath: image, imageSize: 32 * MiB })).resolves.toMatchObject({ refusals: [] });
  });

  it('describes a regular file as a target of kind "file" (it grows, so never too small) and refuses the image itself', async () => {
    const file = join(lab.dir, 'target.img');
    await writeFile(file, Buffer.alloc(3 * MiB));
    const check = await checkTarget(file, { imageSize: 256 * MiB });
    expect(check.drive).toMatchObject({ device: file, kind: 'file', size: 3 * MiB, system: false, readOnly: false, mountpoints: [] });
    expect(check.refusals).toEqual([]);
    expect((await checkTarget(file, { imagePath: file })).refusals).toEqual([
      { reason: 'source', message: `refusing ${file}: it is the source image itself` },
    ]);
  });

  it('reports a missing target as ERR_TARGET_NOT_FOUND (exit code 6) and a directory as unsupported', async () => {
    const missing = join(lab.dir, 'no-such-device');
    const error = await describeTarget(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaculaError);
    expect(error).toMatchObject({ code: 'ERR_TARGET_NOT_FOUND', message: `target ${missing} does not exist`, details: { path: missing } });
    expect(exitCodeFor(error)).toBe(EXIT.target);
    await expect(checkTarget(lab.dir)).rejects.toMatchObject({ code: 'ERR_TARGET_UNSUPPORTED' });
  });

  it('`macula drives --json` hides the system drive, and shows it marked with --all', async () => {
    const root = rootDisk();
    const plain = await macula(['drives', '--json']);
    expect(plain.code).toBe(0);
    expect(plain.events.filter((e) => e['event'] === 'drive').map((e) => e['device'])).not.toContain(root);
    expect(plain.events).toContainEqual(expect.objectContaining({ event: 'notice', hidden: expect.any(Number) }));
    const all = await macula(['drives', '--all', '--json']);
    expect(all.code).toBe(0);
    expect(all.events).toContainEqual(
      expect.objectContaining({ event: 'drive', device: root, system: true, refusals: [expect.objectContaining({ reason: 'system' })] }),
    );
  });
});

/** A drivelist-shaped drive, as a fake source returns it. */
function sourceDrive(device: string, over: Partial<SourceDrive> = {}): SourceDrive {
  return {
    device,
    size: 32e9,
    description: 'Generic Flash Disk ',
    busType: 'USB',
    isRemovable: true,
    isSystem: false,
    isReadOnly: false,
    mountpoints: [],
    isVirtual: false,
    ...over,
  };
}

describe('drive listing with an injected source', () => {
  it('maps drivelist fields to the Drive model', async () => {
    const source: DriveSource = {
      list: async () => [
        sourceDrive('/dev/sdb', { mountpoints: [{ path: '/media/a' }, { path: '/media/b' }], isReadOnly: true, isRemovable: false }),
        sourceDrive('/dev/nvme0n1', { size: null, isSystem: true, busType: 'NVME', description: 'Samsung', isVirtual: null }),
      ],
    };
    expect(await listDrives(source)).toEqual([
      {
        device: '/dev/sdb',
        size: 32e9,
        description: 'Generic Flash Disk',
        busType: 'USB',
        removable: false,
        system: false,
        readOnly: true,
        mountpoints: ['/media/a', '/media/b'],
        kind: 'disk',
        isVirtual: false,
      },
      {
        device: '/dev/nvme0n1',
        size: null,
        description: 'Samsung',
        busType: 'NVME',
        removable: true,
        system: true,
        readOnly: false,
        mountpoints: [],
        kind: 'disk',
      },
    ] satisfies Drive[]);
  });

  it('watchDrives emits the first drives as added, then what was added and removed between polls, until aborted', async () => {
    const polls = [['/dev/sdb', '/dev/sdc'], ['/dev/sdc'], ['/dev/sdc', '/dev/sdd'], ['/dev/sdc', '/dev/sdd']];
    let poll = 0;
    const source: DriveSource = {
      list: async () => (polls[Math.min(poll++, polls.length - 1)] ?? []).map((d) => sourceDrive(d)),
    };
    const controller = new AbortController();
    const seen: string[] = [];
    const collect = async (): Promise<void> => {
      for await (const change of watchDrives({ intervalMs: 5, signal: controller.signal, source })) {
        seen.push(`${change.kind} ${change.drive.device}`);
        if (seen.length === 4) setTimeout(() => controller.abort(), 50);
      }
    };
    await collect();
    expect(seen).toEqual(['added /dev/sdb', 'added /dev/sdc', 'removed /dev/sdb', 'added /dev/sdd']);
    expect(poll).toBeGreaterThan(3);
  }, 5_000);
});
