import type { MbrEntry } from './partition-mbr';
import { MaculaError } from '../../../shared/errors';

/**
 * Where the MACULAOS_STATE partition goes and what a plan looks like, shared by the MBR and GPT planners
 * (ARCHITECTURE.md, "Formats and protocols": a new partition aligned to 1 MiB in the free space after the image).
 */

export const MiB = 1024 * 1024;
/** Alignment of the partition's start, as sfdisk/sgdisk/parted default to. */
export const STATE_PARTITION_ALIGNMENT = MiB;
export const DEFAULT_STATE_MIN_SIZE = 64 * MiB;
/** GPT partition name of the state partition: the ext4 label STATE_LABEL of state-filesystem.ts (not imported: it loads libext2fs). */
export const STATE_PARTITION_NAME = 'MACULAOS_STATE';

/** Bytes to write at a sector-aligned offset of the target, after the image, and to verify on read-back. */
export interface BytePatch {
  readonly offset: number;
  readonly bytes: Buffer;
}

/** The new partition and the table edits that create it. */
export interface StatePartitionPlan {
  readonly table: 'mbr' | 'gpt';
  /** 1-based, as Linux numbers it (`/dev/sdX3`): MBR slot or GPT entry index + 1. */
  readonly partitionNumber: number;
  /** Byte offset of the partition on the target: a multiple of 1 MiB. */
  readonly offset: number;
  /** Byte length of the partition: to the end of the target (GPT: to the backup table). */
  readonly size: number;
  /** GPT only: the new entry's unique partition GUID (upper-case text). */
  readonly partitionGuid?: string;
  /** Sorted by offset, non-overlapping, each a whole number of sectors, none inside the partition's first `stateImageSize` bytes. */
  readonly patches: readonly BytePatch[];
}

/** What the planners need besides the table itself. */
/** What planning either table kind starts from: the image's MBR sector, its entries, and the sizes involved. */
export interface TablePlanInput {
  readonly mbrSector: Buffer;
  readonly mbr: readonly MbrEntry[];
  readonly imageSize: number;
  readonly targetSize: number;
  readonly sectorSize: number;
  readonly neededSize: number;
}

export interface PlacementInput {
  readonly imageSize: number;
  readonly targetSize: number;
  readonly sectorSize: number;
  /** Smallest acceptable partition: the larger of `minSize` and `stateImageSize`. */
  readonly neededSize: number;
  /** One past the last sector any of the image's partitions claims (they may reach past the image's file size). */
  readonly occupiedEndLba: number;
  /** Last sector the partition may use (GPT: LastUsableLBA of the moved table). */
  readonly lastUsableLba: number;
  /** Largest sector count the table can record (MBR: 2^32 - 1). */
  readonly maxSectors?: number;
}

/** First 1 MiB boundary after the image and all its partitions, to `lastUsableLba`; refuses if that is under `neededSize`. */
export function placeStatePartition(input: PlacementInput): { firstLba: number; sectors: number } {
  const { sectorSize } = input;
  const used = Math.max(input.imageSize, input.occupiedEndLba * sectorSize);
  const start = alignUp(used, STATE_PARTITION_ALIGNMENT);
  const firstLba = start / sectorSize;
  const available = Math.max(0, input.lastUsableLba + 1 - firstLba);
  const sectors = Math.min(available, input.maxSectors ?? Number.MAX_SAFE_INTEGER);
  const free = sectors * sectorSize;
  if (free < input.neededSize) {
    throw new MaculaError(
      'ERR_NO_ROOM_FOR_STATE',
      `no room for the MACULAOS_STATE partition: the image and its partitions end at byte ${used}, leaving ` +
        `${formatMiB(free)} from the next 1 MiB boundary (${start}) to the end of the ${formatMiB(input.targetSize)} ` +
        `target, and the partition needs ${formatMiB(input.neededSize)}`,
      { expected: input.neededSize, actual: free, offset: start },
    );
  }
  return { firstLba, sectors };
}

export function alignUp(value: number, boundary: number): number {
  return Math.ceil(value / boundary) * boundary;
}

function formatMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
}

/** Joins patches that touch end to end, so each contiguous run of sectors is one write. */
export function mergePatches(patches: readonly BytePatch[]): BytePatch[] {
  const sorted = [...patches].sort((a, b) => a.offset - b.offset);
  const out: BytePatch[] = [];
  for (const patch of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.offset + last.bytes.length > patch.offset) {
      throw new Error(`overlapping patches at ${last.offset} and ${patch.offset}`);
    }
    if (last !== undefined && last.offset + last.bytes.length === patch.offset) {
      out[out.length - 1] = { offset: last.offset, bytes: Buffer.concat([last.bytes, patch.bytes]) };
    } else {
      out.push(patch);
    }
  }
  return out;
}
