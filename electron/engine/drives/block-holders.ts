import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskUse } from '../../../shared/disk-use';

/**
 * What the kernel has stacked on a disk, from sysfs `holders/` (Documentation/ABI/stable/sysfs-block): an md array
 * (`md0`) whose member it is, or a device-mapper device (`dm-3`) whose table maps it — an active LVM logical volume
 * (dm uuid `LVM-…`, name `VG-LV`) or an open LUKS container (dm uuid `CRYPT-LUKS1-…`/`CRYPT-LUKS2-…`,
 * cryptsetup's naming). Reads only under `sysRoot`, so a test can hand it a tree of its own.
 */

/** Mount points by block device number `MAJ:MIN`, from the mount table. */
export type MountsByDevice = ReadonlyMap<string, readonly string[]>;

/** Stacks deeper than this (LUKS on LVM on md on …) are not followed further. */
const MAX_DEPTH = 8;

async function attr(sysRoot: string, name: string, file: string): Promise<string | undefined> {
  try {
    return (await readFile(join(sysRoot, 'class', 'block', name, file), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** The kernel names of the devices built on `name`; none when it has no holders directory. */
export async function holdersOf(name: string, sysRoot = '/sys'): Promise<string[]> {
  return readdir(join(sysRoot, 'class', 'block', name, 'holders')).catch(() => [] as string[]);
}

/** Where `name` and everything stacked on it (its holders, recursively) are mounted. */
export async function mountsAbove(name: string, mounts: MountsByDevice, sysRoot = '/sys', depth = 0): Promise<string[]> {
  if (depth > MAX_DEPTH) return [];
  const devNo = await attr(sysRoot, name, 'dev');
  const own = devNo === undefined ? [] : (mounts.get(devNo) ?? []);
  const above: string[] = [];
  for (const holder of await holdersOf(name, sysRoot)) above.push(...(await mountsAbove(holder, mounts, sysRoot, depth + 1)));
  return [...new Set([...own, ...above])];
}

/**
 * The volume group in an LVM device-mapper name: LVM joins `VG-LV` and doubles every `-` inside either name
 * (lvm2 lib/misc/lvm-string.c, build_dm_name), so the separator is the first single `-`.
 */
export function volumeGroupOfDmName(dmName: string): string | null {
  for (let i = 0; i < dmName.length; i++) {
    if (dmName[i] !== '-') continue;
    if (dmName[i + 1] === '-') {
      i++;
      continue;
    }
    return i === 0 ? null : dmName.slice(0, i).replaceAll('--', '-');
  }
  return null;
}

/** What one holder of a disk or partition makes of it; undefined for a LUKS container nothing above is mounted from. */
async function holderUse(holder: string, mounts: MountsByDevice, sysRoot: string): Promise<DiskUse | undefined> {
  if (/^md\d+$/.test(holder)) return { kind: 'md', array: holder };
  const uuid = await attr(sysRoot, holder, 'dm/uuid');
  const dmName = await attr(sysRoot, holder, 'dm/name');
  if (uuid?.startsWith('LVM-')) return { kind: 'lvm', volumeGroup: dmName === undefined ? null : volumeGroupOfDmName(dmName) };
  if (uuid?.startsWith('CRYPT-')) {
    // An open container with nothing mounted is busy (the writer's exclusive open fails) but holds no data in use.
    const mountPoints = await mountsAbove(holder, mounts, sysRoot);
    return mountPoints.length > 0 ? { kind: 'luks', mountPoints } : undefined;
  }
  return { kind: 'holder', holder: dmName !== undefined && dmName !== '' ? `${holder} (${dmName})` : holder };
}

/** The uses that the holders of `names` (a disk and its partitions, by kernel name) give it. */
export async function holderUses(names: readonly string[], mounts: MountsByDevice, sysRoot = '/sys'): Promise<DiskUse[]> {
  const uses: DiskUse[] = [];
  for (const name of names) {
    for (const holder of await holdersOf(name, sysRoot)) {
      const use = await holderUse(holder, mounts, sysRoot);
      if (use !== undefined) uses.push(use);
    }
  }
  return uses;
}
