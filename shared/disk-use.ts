import { z } from 'zod';
import { assertNever } from './errors';

/**
 * What a disk (or one of its partitions) is busy holding for the running system, as the engine reads it from the
 * kernel (mount table, swap list, sysfs holders, on-disk signatures). Which of these make the disk a system disk is
 * decided here, once, for the CLI, the app and the elevated writer alike (docs/flashing.md, "Which disks are refused").
 */
export const diskUseSchema = z.discriminatedUnion('kind', [
  /** A filesystem on the disk, a partition, or something stacked on them (LVM, md, loop) is mounted there. */
  z.strictObject({ kind: z.literal('mount'), mountPoint: z.string().min(1) }),
  /** Active swap lives on the disk (/proc/swaps). */
  z.strictObject({ kind: z.literal('swap') }),
  /** An LVM physical volume: active (a device-mapper holder) or only its label; the volume group when known. */
  z.strictObject({ kind: z.literal('lvm'), volumeGroup: z.string().nullable() }),
  /** A member of a running md RAID array (`md0`, `md127`). */
  z.strictObject({ kind: z.literal('md'), array: z.string().min(1) }),
  /** A ZFS pool member (zfs_member label); the pool's name when the label gives it. */
  z.strictObject({ kind: z.literal('zfs'), pool: z.string().nullable() }),
  /** An open LUKS container whose filesystem is mounted there. */
  z.strictObject({ kind: z.literal('luks'), mountPoints: z.array(z.string().min(1)).min(1) }),
  /** Held by another kernel device the kinds above do not cover (bcache, multipath, a plain dm table). */
  z.strictObject({ kind: z.literal('holder'), holder: z.string().min(1) }),
]);

export type DiskUse = z.infer<typeof diskUseSchema>;

/** Where desktops mount removable media (udisks2: /media/USER or /run/media/USER; older ones /media/LABEL). */
const REMOVABLE_MEDIA_ROOTS: readonly string[] = ['/media', '/run/media'];

/** `/mnt` is where people mount things by hand: a removable medium there is fine, a fixed disk there is in use. */
const HAND_MOUNT_ROOT = '/mnt';

function isUnder(path: string, root: string): boolean {
  return path.startsWith(`${root}/`);
}

/**
 * Whether a mount at `mountPoint` is one a flash may undo: below /media or /run/media, or (removable disks only)
 * /mnt or below. Anything else — /var, /home, /srv, /opt, a directory in /tmp — is the running system's and refuses.
 */
export function isRemovableMediaMount(mountPoint: string, removable: boolean): boolean {
  if (REMOVABLE_MEDIA_ROOTS.some((root) => isUnder(mountPoint, root))) return true;
  return removable && (mountPoint === HAND_MOUNT_ROOT || isUnder(mountPoint, HAND_MOUNT_ROOT));
}

/** The uses that make a disk a system disk: all of them, but mounts on removable-media locations. */
export function systemUses(uses: readonly DiskUse[], removable: boolean): DiskUse[] {
  return uses.filter((use) => use.kind !== 'mount' || !isRemovableMediaMount(use.mountPoint, removable));
}

/** One use as the reason a flash is refused: "holds /var", "LVM physical volume of vg0", "member of md0", … */
export function describeUse(use: DiskUse): string {
  switch (use.kind) {
    case 'mount':
      return `holds ${use.mountPoint}`;
    case 'swap':
      return 'swap';
    case 'lvm':
      return use.volumeGroup === null ? 'LVM physical volume' : `LVM physical volume of ${use.volumeGroup}`;
    case 'md':
      return `member of ${use.array}`;
    case 'zfs':
      return use.pool === null ? 'ZFS pool member' : `ZFS pool ${use.pool}`;
    case 'luks':
      return `LUKS container of ${use.mountPoints.join(', ')}`;
    case 'holder':
      return `held by ${use.holder}`;
    default:
      return assertNever(use);
  }
}

/**
 * The reasons, each once, mounts first as one "holds /, /var"; a mount already named by a LUKS container on the disk
 * is not named twice.
 */
export function describeUses(uses: readonly DiskUse[]): string[] {
  const viaLuks = new Set(uses.flatMap((u) => (u.kind === 'luks' ? u.mountPoints : [])));
  const mounts = [...new Set(uses.flatMap((u) => (u.kind === 'mount' && !viaLuks.has(u.mountPoint) ? [u.mountPoint] : [])))];
  const others = uses.filter((u) => u.kind !== 'mount').map(describeUse);
  return [...(mounts.length > 0 ? [`holds ${mounts.join(', ')}`] : []), ...new Set(others)];
}
