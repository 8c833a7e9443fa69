import { createHash } from 'node:crypto';
import { type Bmap, type BmapRange, describeRange, rangeSpan } from '../../../shared/bmap';
import { MaculaError } from '../../../shared/errors';
import type { ImageSource } from '../source/image-source';
import type { BytePatch } from '../seed/partition-plan';
import { CHUNK } from './aligned-chunks';
import { ALIGNMENT, directIo } from './direct-io';
import { type OpenedTarget, type TargetKind, openForRead } from './open-target';
import { restoreOriginals } from './original-bytes';
import { readSpan } from './read-back';
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

async function verifyRange(target: OpenedTarget, buffer: Buffer, options: VerifyMappedOptions, range: BmapRange): Promise<void> {
  const { bmap } = options;
  const { start, end } = rangeSpan(bmap, range);
  const hash = createHash(bmap.checksumType);
  let short = false;
  for (const { position, length } of pieces(start, end)) {
    if (options.signal?.aborted) throw new MaculaError('ERR_ABORTED', `verifying ${target.path} was cancelled`, { path: target.path });
    const actual = await readSpan(target, buffer, position, length);
    restoreOriginals(actual, position, options.originals);
    hash.update(actual);
    if (actual.length < length) {
      short = true;
      break;
    }
    options.onVerified(length);
  }
  const actual = hash.digest('hex');
  if (!short && actual === range.checksum) return;
  const offset = (await firstDifferenceIn(target, buffer, options, start, end)) ?? start;
  throw new MaculaError(
    'ERR_VERIFY_MISMATCH',
    `${target.path} differs from the image at ${describeOffset(offset)} (${describeRange(bmap, range)}: ${bmap.checksumType} ${actual} instead of ${range.checksum}${short ? '; the target ends inside it' : ''})`,
    { path: target.path, offset, expected: range.checksum, actual },
  );
}

/**
 * Reads back only the mapped ranges of a sparse write, never from the page cache (see openForRead), and checks each
 * against the block map's own checksum (the image was checked against the same checksums as it streamed). A bad range
 * is compared byte by byte with the image to name the first differing offset: ERR_VERIFY_MISMATCH. Returns the open's note.
 */
export async function verifyMappedRanges(path: string, kind: TargetKind, options: VerifyMappedOptions): Promise<string | undefined> {
  const target = await openForRead(path, kind);
  const buffer = directIo.getAlignedBuffer(CHUNK, ALIGNMENT);
  try {
    for (const range of options.bmap.ranges) await verifyRange(target, buffer, options, range);
    return target.note;
  } finally {
    await target.handle.close();
  }
}
