import { stat } from 'node:fs/promises';
import { type DiskUse, isRemovableMediaMount } from '../../../shared/disk-use';
import { type MountsByDevice, holderUses } from './block-holders';
import { blockNameOf, blockNameOfNode, devNumber, disksHoldingFile, disksUnder, partitionsOf } from './block-sysfs';
import { type MountEntry, readMountTable, readSwaps } from './mount-table';
import { signatureUses } from './signatures';

/**
 * What each disk holds for the running system, read from /proc and /sys: every mount and active swap area, resolved
 * through partitions, device-mapper/md and loop devices to the disks underneath, plus what sysfs holders and on-disk
 * signatures say of a disk. Which uses refuse a flash is shared/disk-use.ts's call (docs/flashing.md).
 */

/** The mount table and swap areas, resolved to disks once and reused for every disk asked about. */
export interface SystemTable {
  /** Mount and swap uses by disk kernel name. */
  readonly byDisk: ReadonlyMap<string, readonly DiskUse[]>;
  /** Mount points by the mounted device's `MAJ:MIN` (for what is stacked on a disk). */
  readonly mounts: MountsByDevice;
}

/** The block device behind a mount: by MAJ:MIN, or by its source when the filesystem uses an anonymous device (btrfs). */
async function mountDevice(entry: MountEntry): Promise<string | undefined> {
  const byNumber = await blockNameOf(entry.devNo);
  if (byNumber !== undefined) return byNumber;
  if (!entry.source.startsWith('/dev/')) return undefined;
  return blockNameOfNode(entry.source).catch(() => undefined);
}

/** The disks holding a swap area: the partition's disk, or the disks under a swap file. */
async function swapDisks(path: string, type: 'partition' | 'file'): Promise<Set<string>> {
  try {
    if (type === 'file') return await disksHoldingFile(path);
    const name = await blockNameOf(devNumber((await stat(path, { bigint: true })).rdev));
    return name === undefined ? new Set() : await disksUnder(name);
  } catch {
    return new Set();
  }
}

/** Reads this process's mount table and /proc/swaps and resolves every entry to the disks it lives on. */
export async function readSystemTable(): Promise<SystemTable> {
  const byDisk = new Map<string, DiskUse[]>();
  const mounts = new Map<string, string[]>();
  const add = (disks: Set<string>, use: DiskUse): void => {
    for (const disk of disks) byDisk.set(disk, [...(byDisk.get(disk) ?? []), use]);
  };
  const table = await readMountTable();
  // A bind mount of a directory (root ≠ `/`) of a filesystem mounted whole where it refuses any disk (/, /var) is left
  // unnamed: the disk is refused already, and /run/netns or a container's volumes would only lengthen the reason.
  const mountedWhole = new Set(table.filter((e) => e.root === '/' && !isRemovableMediaMount(e.mountPoint, true)).map((e) => e.devNo));
  for (const entry of table) {
    const name = await mountDevice(entry);
    if (name === undefined) continue;
    mounts.set(entry.devNo, [...(mounts.get(entry.devNo) ?? []), entry.mountPoint]);
    if (entry.root !== '/' && mountedWhole.has(entry.devNo)) continue;
    add(await disksUnder(name), { kind: 'mount', mountPoint: entry.mountPoint });
  }
  for (const swap of await readSwaps()) add(await swapDisks(swap.path, swap.type), { kind: 'swap' });
  return { byDisk, mounts };
}

/** Everything disk `disk` (kernel name) holds in use: mounts and swap, holders, LVM and ZFS signatures. */
export async function diskUses(disk: string, table?: SystemTable): Promise<DiskUse[]> {
  const { byDisk, mounts } = table ?? (await readSystemTable());
  const names = [disk, ...(await partitionsOf(disk))];
  const uses = [...(byDisk.get(disk) ?? []), ...(await holderUses(names, mounts)), ...(await signatureUses(names))];
  // The same use found twice (an active PV's holder and its label) is named once; an unnamed one gives way to a named.
  const named = (kind: DiskUse['kind']): boolean =>
    uses.some((u) => u.kind === kind && ((u.kind === 'lvm' && u.volumeGroup !== null) || (u.kind === 'zfs' && u.pool !== null)));
  const seen = new Set<string>();
  return uses.filter((use) => {
    const key = JSON.stringify(use);
    if (seen.has(key) || (use.kind === 'lvm' && use.volumeGroup === null && named('lvm')) || (use.kind === 'zfs' && use.pool === null && named('zfs'))) {
      return false;
    }
    seen.add(key);
    return true;
  });
}
