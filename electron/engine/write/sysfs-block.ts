import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Linux block-device facts from sysfs (Documentation/ABI/stable/sysfs-block); undefined where sysfs has no answer. */

/** `major:minor` of a device number, the form /proc/self/mountinfo and /sys/dev/block use. */
export function majorMinor(rdev: number): string {
  // glibc's gnu_dev_major/minor: 12-bit major in bits 8-19, minor split across bits 0-7 and 20-31.
  const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
  return `${major}:${minor}`;
}

/** The sysfs directory of the block device at `devicePath` (/dev/loop3 → /sys/devices/virtual/block/loop3). */
export async function sysfsDir(devicePath: string): Promise<string | undefined> {
  try {
    const { rdev } = await stat(devicePath);
    return await realpath(`/sys/dev/block/${majorMinor(rdev)}`);
  } catch {
    return undefined;
  }
}

async function readAttr(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

/** True when the kernel marks the device read-only (`ro` = 1: write-protect switch, `losetup -r`). */
export async function isReadOnly(dir: string): Promise<boolean> {
  return (await readAttr(join(dir, 'ro'))) === '1';
}

/** Logical sector size: every O_DIRECT transfer length and offset must be a multiple of it. Partitions use the disk's. */
export async function logicalBlockSize(dir: string): Promise<number | undefined> {
  const text = (await readAttr(join(dir, 'queue', 'logical_block_size'))) ?? (await readAttr(join(dir, '..', 'queue', 'logical_block_size')));
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** `major:minor` of the disk and of each of its partitions (subdirectories holding a `partition` file). */
export async function diskAndPartitionNumbers(dir: string): Promise<string[]> {
  const numbers: string[] = [];
  const own = await readAttr(join(dir, 'dev'));
  if (own !== undefined) numbers.push(own);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    if ((await readAttr(join(dir, entry.name, 'partition'))) === undefined) continue;
    const dev = await readAttr(join(dir, entry.name, 'dev'));
    if (dev !== undefined) numbers.push(dev);
  }
  return numbers;
}

/** True when the device at `devicePath` is read-only for the kernel; false where sysfs cannot tell (not Linux). */
export async function deviceReadOnly(devicePath: string): Promise<boolean> {
  const dir = await sysfsDir(devicePath);
  return dir !== undefined && (await isReadOnly(dir));
}

/** Logical sector size of the device at `devicePath`, when sysfs knows it. */
export async function deviceSectorSize(devicePath: string): Promise<number | undefined> {
  const dir = await sysfsDir(devicePath);
  return dir === undefined ? undefined : logicalBlockSize(dir);
}
