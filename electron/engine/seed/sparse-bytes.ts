/**
 * A mostly-zero byte range kept as its non-zero blocks only. The 16 MiB state filesystem holds about 60 KiB that are
 * not zero, so each target of a multi-target flash keeps its own for the write and the read-back at almost no memory.
 */

/** A run of bytes at `offset` of the range; everything outside the runs is zero. */
export interface ByteRun {
  readonly offset: number;
  readonly bytes: Buffer;
}

export interface SparseBytes {
  readonly length: number;
  /** Sorted by offset, not overlapping. */
  readonly runs: readonly ByteRun[];
}

/** Granularity of the zero test: the filesystem's block size. */
const BLOCK = 4096;

/** `bytes` as its non-zero BLOCK-sized blocks, neighbouring blocks joined into one run (copied: `bytes` may go). */
export function toSparse(bytes: Buffer): SparseBytes {
  const zero = Buffer.alloc(BLOCK);
  const runs: ByteRun[] = [];
  let runStart = -1;
  const close = (end: number): void => {
    if (runStart >= 0) runs.push({ offset: runStart, bytes: Buffer.from(bytes.subarray(runStart, end)) });
    runStart = -1;
  };
  for (let at = 0; at < bytes.length; at += BLOCK) {
    const end = Math.min(at + BLOCK, bytes.length);
    const isZero = zero.compare(bytes, at, end, 0, end - at) === 0;
    if (isZero) close(at);
    else if (runStart < 0) runStart = at;
  }
  close(bytes.length);
  return { length: bytes.length, runs };
}

/** Writes the range's bytes [from, from + length) into `out` (zeros, then whatever runs overlap). */
export function sparseWindow(sparse: SparseBytes, from: number, length: number, out: Buffer): void {
  out.fill(0, 0, length);
  const to = from + length;
  for (const { offset, bytes } of sparse.runs) {
    const start = Math.max(offset, from);
    const end = Math.min(offset + bytes.length, to);
    if (start < end) bytes.copy(out, start - from, start - offset, end - offset);
  }
}
