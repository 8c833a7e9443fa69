import { z } from 'zod';
import { type DiskUse, describeUses, diskUseSchema, systemUses } from './disk-use';
import { formatBytes } from './format-bytes';
import { assertNever } from './errors';

/**
 * A drive the app may write an image to, and why it must not or should think twice.
 * Filled from `drivelist` (the drive picker) or from lsblk + sysfs (an explicit target on the command line).
 */

/** A whole block device, or a regular file used as a target (an image written to a file). */
export const DRIVE_KINDS = ['disk', 'file'] as const;

/** 128 GB: above this a "USB stick" is more likely an external disk with someone's data on it. */
export const LARGE_DRIVE_BYTES = 128e9;

/**
 * Mountpoints that make the disk holding them the system drive when nothing more is known of it (drivelist's view on
 * macOS and Windows, where mountpoints are volumes and drive letters); `[SWAP]` is how lsblk lists a swap device.
 */
export const SYSTEM_MOUNTPOINTS: readonly string[] = ['/', '/boot', '/boot/efi', '/usr', '[SWAP]'];

export const driveSchema = z.strictObject({
  /** Device path (`/dev/sdb`, `/dev/loop3`) or, for kind `file`, the file's absolute path. */
  device: z.string().min(1),
  /** Size in bytes; null when the OS does not know it. */
  size: z.number().int().nonnegative().nullable(),
  /** Model or vendor description; may be empty. */
  description: z.string(),
  /** Bus as reported by the OS (`USB`, `SATA`, `NVME`, `UNKNOWN`, `file`). */
  busType: z.string(),
  removable: z.boolean(),
  /**
   * A system disk: holds something the running system uses (`uses`, classified by systemUses), or the OS says so
   * (drivelist's isSystem: a fixed, non-virtual disk).
   */
  system: z.boolean(),
  readOnly: z.boolean(),
  /** Where the disk and its partitions are mounted; `[SWAP]` (lsblk's and drivelist's spelling) for active swap. */
  mountpoints: z.array(z.string()),
  kind: z.enum(DRIVE_KINDS),
  /** Loop, zram, device-mapper and the like: not a physical medium. */
  isVirtual: z.boolean().optional(),
  /** What the disk holds in use, as the engine read it from the kernel (Linux); absent where it was not read. */
  uses: z.array(diskUseSchema).optional(),
});

export type Drive = z.infer<typeof driveSchema>;
export type DriveKind = Drive['kind'];

/** Why a drive must not be written, most serious (and least fixable) first: the order refusals are reported in. */
export const REFUSAL_REASONS = ['system', 'app', 'source', 'read-only', 'no-medium', 'too-small'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
/** What the user should confirm before writing a drive. */
export const WARNING_REASONS = ['large', 'mounted'] as const;
export type WarningReason = (typeof WARNING_REASONS)[number];

/** A reason the drive must not be written, with a message naming the drive. */
export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
}

/** A reason to double-check before writing, with a message naming the drive. */
export interface Warning {
  readonly reason: WarningReason;
  readonly message: string;
}

/** What classifyDrive knows beyond the drive itself; the engine finds out which drive holds what. */
export interface DriveContext {
  /** Bytes the image needs on the target (its extracted size). */
  readonly imageSize?: number;
  /** The drive holds the image being written. */
  readonly holdsSource?: boolean;
  /** The drive holds this application (its executable or code). */
  readonly holdsApp?: boolean;
}

/** The verdict on a drive: refusals first-most-serious, warnings in a stable order. */
export interface DriveVerdict {
  readonly refusals: Refusal[];
  readonly warnings: Warning[];
}

/** Sizes as the CLI and UI print them. */
export const formatSize = formatBytes;

/** 256e9 → "256 GB" (decimal, as drives are sold). */
function formatSoldSize(bytes: number): string {
  return `${Math.round(bytes / 1e9)} GB`;
}

/** lsblk and drivelist list an active swap partition's mountpoint as `[SWAP]`. */
function showMountpoint(m: string): string {
  return m === '[SWAP]' ? 'swap' : m;
}

/** What the drive holds for the running system: from the engine's `uses` where read, else from its mountpoints. */
export function systemUsesOf(drive: Drive): DiskUse[] {
  if (drive.uses !== undefined) return systemUses(drive.uses, drive.removable);
  return drive.mountpoints
    .filter((m) => SYSTEM_MOUNTPOINTS.includes(m))
    .map((m): DiskUse => (m === '[SWAP]' ? { kind: 'swap' } : { kind: 'mount', mountPoint: m }));
}

/** Whether the drive is refused as a system disk. */
export function isSystemDrive(drive: Drive): boolean {
  return drive.system || systemUsesOf(drive).length > 0;
}

function systemMessage(drive: Drive): string {
  const reasons = describeUses(systemUsesOf(drive));
  return reasons.length > 0 ? `it is a system disk (${reasons.join('; ')})` : 'it is the system drive';
}

/** The refusal of one reason for this drive, or undefined when that reason does not apply. */
function refusalFor(reason: RefusalReason, drive: Drive, ctx: DriveContext): string | undefined {
  switch (reason) {
    case 'system':
      return isSystemDrive(drive) ? systemMessage(drive) : undefined;
    case 'app':
      return ctx.holdsApp ? 'it holds the running application (Macula Companion)' : undefined;
    case 'source':
      return ctx.holdsSource
        ? drive.kind === 'file'
          ? 'it is the source image itself'
          : 'it holds the source image'
        : undefined;
    case 'read-only':
      return drive.readOnly ? `the ${drive.kind === 'file' ? 'file' : 'device'} is read-only` : undefined;
    case 'no-medium':
      // An empty card reader reports size 0; a device nobody can size cannot be checked against the image either.
      return drive.kind === 'disk' && (drive.size === null || drive.size === 0)
        ? 'it reports no size: an empty card reader, or not a storage medium'
        : undefined;
    case 'too-small':
      // A file target grows as it is written; only a disk has a fixed size.
      return drive.kind === 'disk' && ctx.imageSize !== undefined && drive.size !== null && drive.size > 0 && drive.size < ctx.imageSize
        ? `${formatSize(drive.size)} is smaller than the ${formatSize(ctx.imageSize)} image`
        : undefined;
    default:
      return assertNever(reason);
  }
}

function warningFor(reason: WarningReason, drive: Drive): string | undefined {
  switch (reason) {
    case 'large':
      return drive.size !== null && drive.size > LARGE_DRIVE_BYTES
        ? `${drive.device} is ${formatSoldSize(drive.size)}, larger than most USB sticks and SD cards: make sure it is the right drive`
        : undefined;
    case 'mounted':
      return drive.mountpoints.length > 0
        ? `${drive.device} is mounted at ${drive.mountpoints.map(showMountpoint).join(', ')}; it will be unmounted before writing`
        : undefined;
    default:
      return assertNever(reason);
  }
}


/** Whether the drive may be written: what forbids it (refusals) and what the user should confirm (warnings). */
export function classifyDrive(drive: Drive, context: DriveContext = {}): DriveVerdict {
  const refusals: Refusal[] = [];
  for (const reason of REFUSAL_REASONS) {
    const text = refusalFor(reason, drive, context);
    if (text !== undefined) refusals.push({ reason, message: `refusing ${drive.device}: ${text}` });
  }
  const warnings: Warning[] = [];
  for (const reason of WARNING_REASONS) {
    const message = warningFor(reason, drive);
    if (message !== undefined) warnings.push({ reason, message });
  }
  return { refusals, warnings };
}
