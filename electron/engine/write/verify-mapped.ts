import { type Hash, createHash } from 'node:crypto';
import { type Bmap, type BmapRange, describeRange, rangeSpan } from '../../../shared/bmap';
import { MaculaError } from '../../../shared/errors';
import type { ImageSource } from '../source/image-source';
import type { BytePatch } from '../seed/partition-plan';
import { CHUNK, type ChunkPool } from './aligned-chunks';
import { ALIGNMENT } from './direct-io';
import { type OpenedTarget, type TargetKind, openForRead } from './open-target';
import { restoreOriginals } from './original-bytes';
import { readSpan, readSpans } from './read-back';
import { READ_DEPTH } from './verify-target';
import { describeOffset } from './write-errors';

/** Inputs of one sparse read-back. */
export interface VerifyMappedOptions {
  readonly source: ImageSource;
  /** The block map the image was checked against while it was written. */
  readonly bmap: Bmap;
  readonly signal?: AbortSignal | undefined;
  /** Called with the image bytes of each piece read back. */
  readonly onVerified: (bytes: number) => void;
  /** A seeded target's table sectors: the image's bytes there, put back before comparing (see original-bytes.ts). */
  readonly originals?: readonly BytePatch[] | undefined;
  /** Aligned buffers for the reads (the write's pool, idle by now). */
  readonly pool: ChunkPool;
}

/** Pieces of [start, end) that each fit one readSpan: the first up to the next ALIGNMENT-aligned CHUNK window. */
function* pieces(start: number, end: number): Generator<{ position: number; length: number }> {
  for (let position = start; position < end; ) {
    const windowEnd = Math.floor(position / ALIGNMENT) * ALIGNMENT + CHUNK;
    const length = Math.min(end, windowEnd) - position;
    yield { position, length };
    position += length;
  }
}

/**
 * First offset in [start, end) where the target differs from the image, streaming the image once up to `end` and
 * reading the target alongside (run only after a range's checksum failed). Undefined if they agree.
 */
async function firstDifferenceIn(target: OpenedTarget, buffer: Buffer, options: VerifyMappedOptions, start: number, end: number): Promise<number | undefined> {
  const stream = options.source.createReadStream(options.signal);
  let position = 0;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      const pieceEnd = position + piece.length;
      for (const { position: at, length } of pieces(Math.max(start, position), Math.min(end, pieceEnd))) {
        const actual = await readSpan(target, buffer, at, length);
        restoreOriginals(actual, at, options.originals);
        for (let i = 0; i < length; i++) if (actual[i] !== piece[at - position + i]) return at + i;
      }
      if (pieceEnd >= end) return undefined;
      position = pieceEnd;
    }
    return undefined;
  } finally {
    stream.destroy();
  }
}

/** One read of a sparse read-back: a piece of a mapped range, `last` if the range ends with it. */
interface MappedPiece {
  readonly range: BmapRange;
  readonly position: number;
  readonly length: number;
  readonly last: boolean;
}

/** Every piece of every mapped range, in the order they are read back. */
function* mappedPieces(bmap: Bmap): Generator<MappedPiece> {
  for (const range of bmap.ranges) {
    const { start, end } = rangeSpan(bmap, range);
    for (const { position, length } of pieces(start, end)) yield { range, position, length, last: position + length === end };
  }
}

/** What a range's read-back found when it did not match: its hash, and whether the target ended inside it. */
interface BadRange {
  readonly range: BmapRange;
  readonly actual: string;
  readonly short: boolean;
}

/** ERR_VERIFY_MISMATCH for `bad`, naming the first byte where the target differs from the image. */
async function rangeMismatch(target: OpenedTarget, options: VerifyMappedOptions, bad: BadRange): Promise<MaculaError> {
  const { bmap, pool } = options;
  const { start, end } = rangeSpan(bmap, bad.range);
  const buffer = await pool.acquire();
  let offset: number;
  try {
    offset = (await firstDifferenceIn(target, buffer, options, start, end)) ?? start;
  } finally {
    pool.release(buffer);
  }
  const { range, actual, short } = bad;
  return new MaculaError(
    'ERR_VERIFY_MISMATCH',
    `${target.path} differs from the image at ${describeOffset(offset)} (${describeRange(bmap, range)}: ${bmap.checksumType} ${actual} instead of ${range.checksum}${short ? '; the target ends inside it' : ''})`,
    { path: target.path, offset, expected: range.checksum, actual },
  );
}

/**
 * Reads back only the mapped ranges of a sparse write, never from the page cache (see openForRead), several reads in
 * flight (buffers from the write's pool, idle by now), and checks each range against the block map's own checksum (the
 * image was checked against the same checksums as it streamed). A bad range is compared byte by byte with the image to
 * name the first differing offset: ERR_VERIFY_MISMATCH. Returns the open's note.
 */
export async function verifyMappedRanges(path: string, kind: TargetKind, options: VerifyMappedOptions): Promise<string | undefined> {
  const { bmap, signal, originals } = options;
  const target = await openForRead(path, kind);
  try {
    const expected = mappedPieces(bmap);
    let hash: Hash | undefined;
    let bad: BadRange | undefined;
    for await (const actual of readSpans(target, mappedPieces(bmap), options.pool, READ_DEPTH)) {
      if (signal?.aborted) throw new MaculaError('ERR_ABORTED', `verifying ${path} was cancelled`, { path });
      const piece = expected.next().value as MappedPiece; // the same sequence readSpans reads
      restoreOriginals(actual, piece.position, originals);
      hash ??= createHash(bmap.checksumType);
      hash.update(actual);
      const short = actual.length < piece.length;
      if (!short) options.onVerified(piece.length);
      if (!piece.last && !short) continue;
      const digest = hash.digest('hex');
      hash = undefined;
      if (short || digest !== piece.range.checksum) {
        bad = { range: piece.range, actual: digest, short };
        break;
      }
    }
    if (bad) throw await rangeMismatch(target, options, bad);
    return target.note;
  } finally {
    await target.handle.close();
  }
}
