import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskUse } from '../../../shared/disk-use';
import { readBlockAttr } from './block-sysfs';
import { lvmVolumeGroup } from './lvm-label';
import { blkidProbe } from './util-linux';

/**
 * On-disk signatures that make a disk part of storage the system may be using although nothing is mounted from it
 * directly: an LVM physical volume (`LVM2_member`) and a ZFS pool member (`zfs_member`, labelled with the pool's
 * name; an imported pool's vdevs carry the same label). udev's database has already probed every device and is
 * readable without privileges; without udev (containers, CI) blkid probes the device itself, which needs root.
 */

/** The fields of a probe this module reads. */
interface Signature {
  readonly type?: string | undefined;
  readonly label?: string | undefined;
}

/** udev's database entry of block device `MAJ:MIN` (systemd's udev: `E:ID_FS_TYPE=…` lines). */
export function parseUdevData(text: string): Signature {
  const env = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^E:([^=]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) env.set(m[1], m[2]);
  }
  return { type: env.get('ID_FS_TYPE'), label: env.get('ID_FS_LABEL') };
}

/** udev's probe of the device; undefined when udev has no entry for it (no udev), not when it found no signature. */
async function udevSignature(devNo: string, udevData: string): Promise<Signature | undefined> {
  const text = await readFile(join(udevData, `b${devNo}`), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseUdevData(text);
}

async function probe(name: string, udevData: string): Promise<Signature | undefined> {
  const devNo = await readBlockAttr(name, 'dev');
  // udev probed every device already; blkid (a process, and root) only where udev has no entry at all.
  const fromUdev = devNo === undefined ? undefined : await udevSignature(devNo, udevData);
  if (fromUdev !== undefined) return fromUdev;
  const tags = await blkidProbe(`/dev/${name}`);
  return tags === undefined ? undefined : { type: tags['TYPE'], label: tags['LABEL'] };
}

/** The use a signature on `/dev/NAME` stands for, if any. */
async function signatureUse(name: string, udevData: string): Promise<DiskUse | undefined> {
  const sig = await probe(name, udevData);
  switch (sig?.type) {
    case 'LVM2_member':
      return { kind: 'lvm', volumeGroup: await lvmVolumeGroup(`/dev/${name}`).catch(() => null) };
    case 'zfs_member':
      return { kind: 'zfs', pool: sig.label !== undefined && sig.label !== '' ? sig.label : null };
    default:
      return undefined;
  }
}

/** The LVM and ZFS signatures on `names` (a disk and its partitions, by kernel name). */
export async function signatureUses(names: readonly string[], udevData = '/run/udev/data'): Promise<DiskUse[]> {
  const uses: DiskUse[] = [];
  for (const name of names) {
    const use = await signatureUse(name, udevData);
    if (use !== undefined) uses.push(use);
  }
  return uses;
}
