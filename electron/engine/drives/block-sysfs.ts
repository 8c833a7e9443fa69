import { readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Linux block devices as sysfs describes them (Documentation/ABI/stable/sysfs-block): a device number
 * `MAJ:MIN` → `/sys/dev/block/MAJ:MIN` → its kernel name; a partition's parent disk is the directory above it;
 * device-mapper and md devices list what they are built on in `slaves/`; a loop device its file in `loop/backing_file`.
 */

const SYS_CLASS_BLOCK = '/sys/class/block';

/** `MAJ:MIN` of a Linux dev_t, encoded as glibc's gnu_dev_major/gnu_dev_minor decode it (sysmacros.h). */
export function devNumber(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** A sysfs attribute of a block device, trimmed; undefined when the attribute does not exist. */
export async function readBlockAttr(name: string, attr: string): Promise<string | undefined> {
  try {
    return (await readFile(join(SYS_CLASS_BLOCK, name, attr), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** The kernel name (`vda`, `loop3p1`) of block device `MAJ:MIN`, or undefined for a non-block (e.g. tmpfs) device. */
export async function blockNameOf(devNo: string): Promise<string | undefined> {
  try {
    return basename(await readlink(join('/sys/dev/block', devNo)));
  } catch {
    return undefined;
  }
}

/** Whether the named block device is a partition of a disk. */
export async function isPartition(name: string): Promise<boolean> {
  return (await readBlockAttr(name, 'partition')) !== undefined;
}

/** The disk a partition belongs to; a whole disk is its own disk. */
export async function diskOf(name: string): Promise<string> {
  if (!(await isPartition(name))) return name;
  return basename(dirname(await realpath(join(SYS_CLASS_BLOCK, name))));
}

/** The partitions of a disk, by kernel name, from sysfs. */
export async function partitionsOf(disk: string): Promise<string[]> {
  const entries = await readdir(join(SYS_CLASS_BLOCK, disk)).catch(() => [] as string[]);
  const parts: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith(disk) && (await isPartition(entry))) parts.push(entry);
  }
  return parts;
}

/** Loop, zram, device-mapper and other devices with no hardware under them live under /sys/devices/virtual. */
export async function isVirtualBlock(name: string): Promise<boolean> {
  return (await realpath(join(SYS_CLASS_BLOCK, name)).catch(() => '')).includes('/devices/virtual/');
}

/** The file a loop device reads and writes, or undefined when `name` is not a bound loop device. */
export async function loopBackingFile(name: string): Promise<string | undefined> {
  const file = await readBlockAttr(name, 'loop/backing_file');
  return file === undefined || file === '' ? undefined : file;
}

/** The kernel name of the block device at `path` (a device node, possibly through a symlink). */
export async function blockNameOfNode(path: string): Promise<string | undefined> {
  const st = await stat(path, { bigint: true });
  return st.isBlockDevice() ? blockNameOf(devNumber(st.rdev)) : undefined;
}

/**
 * Every disk whose contents a block device's data lives on: its own disk, the disks under a device-mapper or md
 * device (`slaves/`), and for a loop device the disks holding its backing file — recursively.
 */
export async function disksUnder(name: string, depth = 0): Promise<Set<string>> {
  const disks = new Set<string>();
  if (depth > 8) return disks;
  const disk = await diskOf(name);
  disks.add(disk);
  for (const dev of new Set([name, disk])) {
    const slaves = await readdir(join(SYS_CLASS_BLOCK, dev, 'slaves')).catch(() => [] as string[]);
    for (const slave of slaves) for (const d of await disksUnder(slave, depth + 1)) disks.add(d);
  }
  const backing = await loopBackingFile(disk);
  if (backing !== undefined) for (const d of await disksHoldingFile(backing, depth + 1)) disks.add(d);
  return disks;
}

/** The disks a file's bytes live on (empty for tmpfs, procfs and other filesystems with no block device). */
export async function disksHoldingFile(path: string, depth = 0): Promise<Set<string>> {
  let dev: bigint;
  try {
    dev = (await stat(path, { bigint: true })).dev;
  } catch (e) {
    // A loop's backing file may be gone (" (deleted)"); only the caller's own file must exist.
    if (depth > 0) return new Set();
    throw e;
  }
  const name = await blockNameOf(devNumber(dev));
  return name === undefined ? new Set() : disksUnder(name, depth);
}
