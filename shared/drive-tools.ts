import { z } from 'zod';
import { assertNever } from './errors';

/**
 * What `macula check`, `macula clone` and `macula restore` (and the app's Drive tools) report: one schema per result,
 * used by the CLI's `--json` lines and the IPC contract alike (docs/drive-tools.md).
 */

const count = z.number().int().nonnegative();
const path = z.string().min(1).max(4096);

/** What a byte of a drive lies in. */
export const driveRegionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('table') }),
  z.strictObject({ kind: z.literal('state'), partition: count }),
  z.strictObject({ kind: z.literal('partition'), partition: count }),
  z.strictObject({ kind: z.literal('outside') }),
]);
export type DriveRegion = z.infer<typeof driveRegionSchema>;

/** One difference found by `check`: the first bad byte of a region, and why. */
export const driveDifferenceSchema = z.strictObject({
  offset: count,
  region: driveRegionSchema,
  message: z.string(),
});
export type DriveDifference = z.infer<typeof driveDifferenceSchema>;

/** The MACULAOS_STATE partition a check found: where, and the seed in it with its secrets masked. */
export const checkedStateSchema = z.strictObject({
  partition: count,
  offset: count,
  table: z.enum(['mbr', 'gpt']),
  uuid: z.string(),
  mode: z.string(),
  growpart: z.boolean(),
  /**
   * The seed with its secrets masked (shared/seed.ts maskSecrets: a masked key no longer passes the seed's own schema,
   * so only its shape as an object is checked here); null when the filesystem or its config.yaml could not be read.
   */
  seed: z.looseObject({ hostname: z.string().optional() }).nullable(),
});
export type CheckedState = z.infer<typeof checkedStateSchema>;

/** `check`: the target compared with the image; `ok` only without differences. */
export const checkReportSchema = z.strictObject({
  device: path,
  image: z.strictObject({ path, size: count }),
  ok: z.boolean(),
  /** Null: no MACULAOS_STATE partition (an unseeded flash), so the image alone was compared. */
  state: checkedStateSchema.nullable(),
  differences: z.array(driveDifferenceSchema),
});
export type CheckReport = z.infer<typeof checkReportSchema>;

/** How `clone` compresses, chosen by the output file's extension. */
export const cloneCompressionSchema = z.enum(['none', 'xz', 'zstd', 'gzip']);
export type CloneCompression = z.infer<typeof cloneCompressionSchema>;

/** `clone`: what was read and written. `size` and `sha256` are of the uncompressed bytes. */
export const cloneResultSchema = z.strictObject({
  device: path,
  out: path,
  compression: cloneCompressionSchema,
  size: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  compressedSize: count,
  bmap: path.nullable(),
  /** Whether the read stopped at the end of the last partition (false: `--whole`, or no partition table). */
  partitionsOnly: z.boolean(),
});
export type CloneResult = z.infer<typeof cloneResultSchema>;

/** Filesystems `restore` makes. */
export const restoreFsSchema = z.enum(['fat32', 'exfat']);
export type RestoreFs = z.infer<typeof restoreFsSchema>;

/** FAT32 is made up to this size; larger drives get exFAT (Windows' own limit for formatting FAT32). */
export const FAT32_MAX_BYTES = 32 * 1024 ** 3;

/** A volume label both filesystems take: FAT allows 11 characters, exFAT 11 UTF-16 units; kept to printable ASCII. */
export const restoreLabelSchema = z.string().regex(/^[A-Za-z0-9 _-]{1,11}$/, 'a label is 1–11 letters, digits, spaces, _ or -');

/** `restore`: what the drive holds now. */
export const restoreResultSchema = z.strictObject({
  device: path,
  fs: restoreFsSchema,
  label: z.string(),
  partitionOffset: count,
  partitionSize: count,
  /** Byte ranges zeroed before the new table was written (old tables and signatures). */
  wiped: z.array(z.strictObject({ offset: count, length: count })),
});
export type RestoreResult = z.infer<typeof restoreResultSchema>;

/** The filesystem `restore` picks when none is asked: FAT32 up to 32 GiB, exFAT above. */
export function defaultRestoreFs(size: number): RestoreFs {
  return size <= FAT32_MAX_BYTES ? 'fat32' : 'exfat';
}

/** "partition 2", "the partition table", …: a region as a message names it. */
export function describeRegion(region: DriveRegion): string {
  switch (region.kind) {
    case 'table':
      return 'the partition table';
    case 'state':
      return `the MACULAOS_STATE filesystem (partition ${region.partition})`;
    case 'partition':
      return `partition ${region.partition}`;
    case 'outside':
      return "no partition (the image's own bytes between or after its partitions)";
    default:
      return assertNever(region);
  }
}
