import { z } from 'zod';

/**
 * The block map of a raw image (bmaptool's .bmap, format 1.2–1.4 and 2.0): which blocks hold data and a checksum of
 * each mapped range. Only mapped blocks need writing; the rest of the image carries nothing the system reads.
 * Format: bmap-tools docs/README "The bmap file format" (ImageSize, BlockSize, BlocksCount, MappedBlocksCount,
 * ChecksumType — absent, and so SHA-1, before 2.0 — and BlockMap/Range "first-last" with a `chksum` or `sha1` attribute).
 * XML parsing needs Node (the parser hashes the file), so it happens in the engine; this is the model it must satisfy.
 */

/** Range checksums: SHA-1 in format 1.x, `ChecksumType` (sha256 in practice) from 2.0. */
export const bmapChecksumTypeSchema = z.enum(['sha256', 'sha1']);
export type BmapChecksumType = z.infer<typeof bmapChecksumTypeSchema>;

const HEX_LENGTH: Readonly<Record<BmapChecksumType, number>> = { sha256: 64, sha1: 40 };

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Blocks `first` to `last`, both included, and the checksum of their bytes (the last block cut at ImageSize). */
export const bmapRangeSchema = z.strictObject({
  first: count,
  last: count,
  checksum: z.string().regex(/^[0-9a-f]+$/, 'a range checksum is lowercase hex'),
});
export type BmapRange = z.infer<typeof bmapRangeSchema>;

/** A parsed, self-consistent block map: ranges sorted, disjoint, inside the image, adding up to MappedBlocksCount. */
export const bmapSchema = z
  .strictObject({
    version: z.string().regex(/^[12]\.\d+$/, 'only bmap format 1.x and 2.x exist'),
    imageSize: count,
    /** Bytes per block; a multiple of 512 (bmaptool uses the filesystem's, 4096). */
    blockSize: z.number().int().positive().multipleOf(512),
    blocksCount: count,
    mappedBlocksCount: count,
    checksumType: bmapChecksumTypeSchema,
    ranges: z.array(bmapRangeSchema),
  })
  .superRefine((bmap, ctx) => {
    const issue = (message: string): void => ctx.addIssue({ code: 'custom', message });
    if (bmap.blocksCount !== Math.ceil(bmap.imageSize / bmap.blockSize)) {
      issue(`BlocksCount ${bmap.blocksCount} does not fit ImageSize ${bmap.imageSize} in blocks of ${bmap.blockSize}`);
    }
    let next = 0;
    let mapped = 0;
    for (const range of bmap.ranges) {
      if (range.first > range.last) issue(`range ${range.first}-${range.last} ends before it starts`);
      if (range.first < next) issue(`range ${range.first}-${range.last} overlaps or precedes the one before`);
      if (range.last >= bmap.blocksCount) issue(`range ${range.first}-${range.last} lies past the last block ${bmap.blocksCount - 1}`);
      if (range.checksum.length !== HEX_LENGTH[bmap.checksumType]) issue(`range ${range.first}-${range.last}: not a ${bmap.checksumType} checksum`);
      next = range.last + 1;
      mapped += range.last - range.first + 1;
    }
    if (mapped !== bmap.mappedBlocksCount) issue(`the ranges map ${mapped} blocks, MappedBlocksCount says ${bmap.mappedBlocksCount}`);
  });
export type Bmap = z.infer<typeof bmapSchema>;

/** Byte span [start, end) of a range in the image. */
export interface ByteSpan {
  readonly start: number;
  readonly end: number;
}

/** The bytes a range covers; the image's last block may be partial, so the end is cut at ImageSize. */
export function rangeSpan(bmap: Bmap, range: BmapRange): ByteSpan {
  return { start: range.first * bmap.blockSize, end: Math.min((range.last + 1) * bmap.blockSize, bmap.imageSize) };
}

/** Image bytes in mapped ranges: what a sparse write writes and reads back. */
export function mappedSize(bmap: Bmap): number {
  return bmap.ranges.reduce((sum, range) => {
    const { start, end } = rangeSpan(bmap, range);
    return sum + (end - start);
  }, 0);
}

/** How a range is named in messages: its blocks and its bytes. */
export function describeRange(bmap: Bmap, range: BmapRange): string {
  const { start, end } = rangeSpan(bmap, range);
  return `blocks ${range.first}-${range.last} (bytes ${start}-${end - 1})`;
}
