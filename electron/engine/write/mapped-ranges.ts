import { type Hash, createHash } from 'node:crypto';
import { type Bmap, type BmapRange, describeRange, rangeSpan } from '../../../shared/bmap';
import { MaculaError } from '../../../shared/errors';
import { ALIGNMENT } from './direct-io';

/** Bytes of a chunk to write, relative to the chunk's start. */
export interface Extent {
  readonly start: number;
  readonly length: number;
}

interface Span {
  readonly range: BmapRange;
  readonly start: number;
  readonly end: number;
}

/** The image size a block map describes differs from the image's. */
export function sizeMismatch(bmap: Bmap, imagePath: string, actual: number, bound: 'at least' | 'exactly'): MaculaError {
  return new MaculaError(
    'ERR_SIZE_MISMATCH',
    `the block map describes an image of ${bmap.imageSize} bytes, ${imagePath} is ${bound === 'at least' ? 'at least ' : ''}${actual}: wrong bmap for this image`,
    { path: imagePath, expected: bmap.imageSize, actual },
  );
}

/**
 * Rounds extents out to ALIGNMENT (an O_DIRECT transfer starts and ends on a sector; a bmap's blocks are usually 4 KiB
 * already, so this changes nothing) within the chunk's `length`, merging those that then touch. Widening only ever
 * adds image bytes next to mapped ones.
 */
function alignExtents(spans: readonly { start: number; end: number }[], length: number): Extent[] {
  const out: { start: number; end: number }[] = [];
  for (const span of spans) {
    const start = Math.floor(span.start / ALIGNMENT) * ALIGNMENT;
    const end = Math.min(length, Math.ceil(span.end / ALIGNMENT) * ALIGNMENT);
    const last = out.at(-1);
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out.map(({ start, end }) => ({ start, length: end - start }));
}

/**
 * Walks a block map alongside the image as it streams, chunk by chunk in order: says which bytes of each chunk are
 * mapped, and hashes every range's bytes as they pass, so a range whose checksum differs from the bmap's is caught the
 * moment its last byte is read — before the chunk holding that byte goes to any target.
 */
export class MappedRanges {
  private readonly spans: readonly Span[];
  private index = 0;
  private hash: Hash | undefined;

  constructor(
    private readonly bmap: Bmap,
    private readonly imagePath: string,
  ) {
    this.spans = bmap.ranges.map((range) => ({ range, ...rangeSpan(bmap, range) }));
  }

  /**
   * The extents of the chunk at `offset` holding `bytes` that must be written (none: the chunk is unmapped). Throws
   * ERR_HASH_MISMATCH for a range that ends in this chunk with the wrong checksum, ERR_SIZE_MISMATCH once the image
   * runs past the bmap's ImageSize.
   */
  take(offset: number, bytes: Buffer): Extent[] {
    const end = offset + bytes.length;
    if (end > this.bmap.imageSize) throw sizeMismatch(this.bmap, this.imagePath, end, 'at least');
    const mapped: { start: number; end: number }[] = [];
    for (let span = this.spans[this.index]; span !== undefined && span.start < end; span = this.spans[this.index]) {
      const from = Math.max(span.start, offset);
      const to = Math.min(span.end, end);
      this.hash ??= createHash(this.bmap.checksumType);
      this.hash.update(bytes.subarray(from - offset, to - offset));
      mapped.push({ start: from - offset, end: to - offset });
      if (to < span.end) break; // the range goes on in the next chunk
      const actual = this.hash.digest('hex');
      this.hash = undefined;
      if (actual !== span.range.checksum) throw this.mismatch(span, actual);
      this.index++;
    }
    return alignExtents(mapped, bytes.length);
  }

  /**
   * The bytes of [offset, offset + length) that `take` will need (every mapped byte, widened as the writes are): what
   * to read of a chunk of a raw image, whose unmapped parts need not be read at all. No state: any order.
   */
  wanted(offset: number, length: number): Extent[] {
    const end = offset + length;
    const mapped: { start: number; end: number }[] = [];
    for (const span of this.spans) {
      if (span.start >= end) break;
      if (span.end <= offset) continue;
      mapped.push({ start: Math.max(span.start, offset) - offset, end: Math.min(span.end, end) - offset });
    }
    return alignExtents(mapped, length);
  }

  /** After the last chunk: the image must have been exactly ImageSize long (so every range was read and checked). */
  finish(size: number): void {
    if (size !== this.bmap.imageSize || this.index !== this.spans.length) throw sizeMismatch(this.bmap, this.imagePath, size, 'exactly');
  }

  private mismatch(span: Span, actual: string): MaculaError {
    const { checksumType } = this.bmap;
    return new MaculaError(
      'ERR_HASH_MISMATCH',
      `${this.imagePath} does not match its block map at ${describeRange(this.bmap, span.range)}: ${checksumType} ${actual} instead of ${span.range.checksum}; writing stopped`,
      { path: this.imagePath, offset: span.start, expected: span.range.checksum, actual },
    );
  }
}
