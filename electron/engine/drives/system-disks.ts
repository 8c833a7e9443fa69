import { stat } from 'node:fs/promises';
import { blockNameOf, blockNameOfNode, devNumber, disksHoldingFile, disksUnder } from './block-sysfs';
import { type MountEntry, readMountTable, readSwaps } from './mount-table';

/** Mount points whose disk is the system drive: writing over it takes the running system down. */
export const SYSTEM_MOUNT_POINTS: readonly string[] = ['/', '/boot', '/boot/efi', '/usr'];

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

/**
 * The disks (kernel names) holding `/`, `/boot`, `/boot/efi`, `/usr` or active swap, each with what it holds
 * (`swap` for swap). Resolved through partitions, device-mapper/md and loop devices to the disks underneath.
 */
export async function systemDisks(): Promise<Map<string, string[]>> {
  const held = new Map<string, string[]>();
  const add = (disks: Set<string>, what: string): void => {
    for (const disk of disks) held.set(disk, [...new Set([...(held.get(disk) ?? []), what])]);
  };
  for (const entry of await readMountTable()) {
    if (!SYSTEM_MOUNT_POINTS.includes(entry.mountPoint)) continue;
    const name = await mountDevice(entry);
    if (name !== undefined) add(await disksUnder(name), entry.mountPoint);
  }
  for (const swap of await readSwaps()) add(await swapDisks(swap.path, swap.type), 'swap');
  return held;
}
