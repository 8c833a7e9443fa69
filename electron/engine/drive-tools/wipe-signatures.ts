import type { OpenedTarget } from '../write/open-target';
import { directIo, ALIGNMENT } from '../write/direct-io';
import { writeError } from '../write/write-errors';
import type { DrivePartition } from './drive-layout';

/** Bytes zeroed at each place a table or signature can sit. */
export const WIPE_SPAN = 1024 * 1024;

/** A byte range zeroed by `wipeSignatures`. */
export interface Wiped {
  readonly offset: number;
  readonly length: number;
}

/**
 * Where a stick's old tables and filesystem signatures are, as `wipefs -a` finds them, zeroed whole instead of magic by
 * magic (portable, and no signature left that a probe knows and this list does not): the first MiB (MBR, primary GPT
 * header and array at LBA 1–33, ISO 9660 volume descriptors from 32 KiB, ext4/FAT/exFAT/NTFS boot sectors and
 * superblocks, btrfs' at 64 KiB), the last MiB (the backup GPT's header in the last LBA and its array before it, md
 * and LVM metadata at the end), and the first MiB of every old partition (its filesystem's signatures).
 */
export function wipeRanges(size: number, partitions: readonly DrivePartition[]): Wiped[] {
  const starts = [0, Math.max(0, size - WIPE_SPAN), ...partitions.map((p) => p.offset)];
  const ranges = starts
    .filter((offset) => offset < size)
    .map((offset) => {
      const from = Math.floor(offset / ALIGNMENT) * ALIGNMENT;
      return { offset: from, length: Math.min(WIPE_SPAN, size - from) };
    })
    .sort((a, b) => a.offset - b.offset);
  const merged: Wiped[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.offset <= last.offset + last.length) {
      merged[merged.length - 1] = { offset: last.offset, length: Math.max(last.length, r.offset + r.length - last.offset) };
    } else merged.push(r);
  }
  return merged;
}

/** Zeroes `ranges` on `target` (opened for writing, O_DIRECT: whole aligned sectors), then flushes. */
export async function wipeSignatures(target: OpenedTarget, ranges: readonly Wiped[]): Promise<void> {
  const zeros = directIo.getAlignedBuffer(WIPE_SPAN, ALIGNMENT);
  zeros.fill(0);
  for (const { offset, length } of ranges) {
    for (let at = 0; at < length; at += zeros.length) {
      const n = Math.min(zeros.length, length - at);
      await target.handle.write(zeros, 0, n, offset + at).catch((err: unknown) => {
        throw writeError(target.path, offset + at, err);
      });
    }
  }
  await target.handle.sync().catch((err: unknown) => {
    throw writeError(target.path, undefined, err);
  });
}
