/**
 * A mostly-zero byte range kept as its non-zero blocks only. The 16 MiB state filesystem holds about 60 KiB that are
 * not zero, so each target of a multi-target flash keeps its own for the write and the read-back at almost no memory,
 * and it is built that way too (SparseBlocks), never as 16 dense MiB.
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

const ZEROS = Buffer.alloc(64 * 1024);

/** Whether `bytes` holds only zeros (compared against a zero buffer a slice at a time, not byte by byte in JS). */
function isZero(bytes: Buffer): boolean {
  for (let at = 0; at < bytes.length; at += ZEROS.length) {
    const end = Math.min(at + ZEROS.length, bytes.length);
    if (ZEROS.compare(bytes, at, end, 0, end - at) !== 0) return false;
  }
  return true;
}

/** Index of the first byte of `a` that differs from `b` (same length), or undefined. */
function firstDifference(a: Buffer, b: Buffer): number | undefined {
  if (a.equals(b)) return undefined;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length;
}

/**
 * Offset in `actual` of its first byte that differs from the range's bytes [from, from + actual.length), or undefined
 * when they are equal: the comparison sparseWindow would allow, without making the range's bytes dense.
 */
export function sparseMismatch(sparse: SparseBytes, from: number, actual: Buffer): number | undefined {
  const to = from + actual.length;
  let at = from;
  const zerosUpTo = (end: number): number | undefined => {
    if (end <= at) return undefined;
    const piece = actual.subarray(at - from, end - from);
    const diff = isZero(piece) ? undefined : piece.findIndex((byte) => byte !== 0);
    return diff === undefined ? undefined : at - from + diff;
  };
  for (const { offset, bytes } of sparse.runs) {
    const start = Math.max(offset, from);
    const end = Math.min(offset + bytes.length, to);
    if (start >= end) continue;
    const gap = zerosUpTo(start);
    if (gap !== undefined) return gap;
    const diff = firstDifference(actual.subarray(start - from, end - from), bytes.subarray(start - offset, end - offset));
    if (diff !== undefined) return start - from + diff;
    at = end;
  }
  return zerosUpTo(to);
}

/**
 * A byte range of fixed length held as its BLOCK-sized blocks that are not known to be zero: an absent block reads as
 * zeros, and writing zeros where no block is keeps none. Reading and writing any span (libext2fs's disk); the 16 MiB
 * state filesystem is built in a few dozen KiB this way instead of a dense 16 MiB buffer.
 */
/** The pieces of bytes [position, position + length) that fall in one BLOCK each: its index, where in it, how many. */
function* blockPieces(position: number, length: number): Generator<{ index: number; inBlock: number; n: number; at: number }> {
  for (let at = position; at < position + length; ) {
    const index = Math.floor(at / BLOCK);
    const inBlock = at - index * BLOCK;
    const n = Math.min(BLOCK - inBlock, position + length - at);
    yield { index, inBlock, n, at };
    at += n;
  }
}

export class SparseBlocks {
  private readonly blocks = new Map<number, Buffer>();

  constructor(readonly length: number) {}

  /** The blocks of a stream of bytes (a decompressor's output), zeros dropped as they come; its length is theirs. */
  static async fromChunks(chunks: AsyncIterable<Buffer>): Promise<SparseBlocks> {
    const growing = new SparseBlocks(Number.MAX_SAFE_INTEGER);
    let at = 0;
    for await (const chunk of chunks) {
      growing.write(chunk, 0, chunk.length, at);
      at += chunk.length;
    }
    const out = new SparseBlocks(at);
    for (const [index, block] of growing.blocks) out.blocks.set(index, block.subarray(0, Math.min(BLOCK, at - index * BLOCK)));
    return out;
  }

  /** Copies bytes [position, position + length) into `buffer` at `offset`. */
  read(buffer: Buffer, offset: number, length: number, position: number): void {
    this.check(position, length);
    for (const { index, inBlock, n, at } of blockPieces(position, length)) {
      const block = this.blocks.get(index);
      const out = offset + at - position;
      if (block) block.copy(buffer, out, inBlock, inBlock + n);
      else buffer.fill(0, out, out + n);
    }
  }

  /** Stores `length` bytes of `buffer` from `offset` at `position`. */
  write(buffer: Buffer, offset: number, length: number, position: number): void {
    this.check(position, length);
    for (const { index, inBlock, n, at } of blockPieces(position, length)) {
      const from = offset + at - position;
      let block = this.blocks.get(index);
      if (!block && !isZero(buffer.subarray(from, from + n))) {
        block = Buffer.alloc(Math.min(BLOCK, this.length - index * BLOCK));
        this.blocks.set(index, block);
      }
      block?.set(buffer.subarray(from, from + n), inBlock);
    }
  }

  /** The non-zero blocks as runs (copies: these blocks may change afterwards). */
  toSparse(): SparseBytes {
    const runs: ByteRun[] = [];
    let pending: { offset: number; parts: Buffer[]; end: number } | undefined;
    const flush = (): void => {
      if (pending) runs.push({ offset: pending.offset, bytes: Buffer.concat(pending.parts) });
      pending = undefined;
    };
    for (const index of [...this.blocks.keys()].sort((a, b) => a - b)) {
      const block = this.blocks.get(index)!;
      if (isZero(block)) continue;
      const offset = index * BLOCK;
      if (pending?.end !== offset) flush();
      pending ??= { offset, parts: [], end: offset };
      pending.parts.push(block);
      pending.end = offset + block.length;
    }
    flush();
    return { length: this.length, runs };
  }

  private check(position: number, length: number): void {
    if (position < 0 || length < 0 || position + length > this.length) {
      throw new RangeError(`block ${position}+${length} outside the ${this.length}-byte filesystem`);
    }
  }
}

/** The range's bytes as one dense buffer (tests, and callers that want a file's image). */
export function denseBytes(sparse: SparseBytes): Buffer {
  const out = Buffer.alloc(sparse.length);
  for (const { offset, bytes } of sparse.runs) bytes.copy(out, offset);
  return out;
}
