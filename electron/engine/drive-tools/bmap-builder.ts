import { type Hash, createHash } from 'node:crypto';
import type { BmapRange } from '../../../shared/bmap';

/** Bytes per bmap block: what bmaptool uses (the filesystem block size). */
export const BMAP_BLOCK = 4096;

/**
 * Builds a bmap (bmap-tools "The bmap file format", version 2.0, SHA-256 ranges) from an image's bytes as they stream
 * past, in order: a block that is all zeros is unmapped, every run of other blocks is one range with its checksum.
 * A cloned drive has no holes to ask the filesystem about, so zeros are what "unused" means here; bmaptool then
 * writes only the mapped ranges and checks each against its checksum.
 */
export class BmapBuilder {
  private readonly ranges: BmapRange[] = [];
  private size = 0;
  /** The open range: its first block and the hash of its bytes so far. */
  private open: { first: number; hash: Hash } | undefined;
  /** Bytes of the block being filled across pushes, when a push ends mid-block. */
  private pending = Buffer.alloc(0);

  /** Adds the next bytes of the image. */
  push(bytes: Buffer): void {
    let at = 0;
    if (this.pending.length > 0) {
      const take = Math.min(BMAP_BLOCK - this.pending.length, bytes.length);
      this.pending = Buffer.concat([this.pending, bytes.subarray(0, take)]);
      at = take;
      if (this.pending.length < BMAP_BLOCK) return;
      this.block(this.pending);
      this.pending = Buffer.alloc(0);
    }
    for (; at + BMAP_BLOCK <= bytes.length; at += BMAP_BLOCK) this.block(bytes.subarray(at, at + BMAP_BLOCK));
    if (at < bytes.length) this.pending = Buffer.from(bytes.subarray(at));
  }

  private block(bytes: Buffer): void {
    const index = this.size / BMAP_BLOCK;
    this.size += bytes.length;
    if (isZero(bytes)) return this.close(index - 1);
    this.open ??= { first: index, hash: createHash('sha256') };
    this.open.hash.update(bytes);
  }

  private close(last: number): void {
    if (this.open === undefined) return;
    this.ranges.push({ first: this.open.first, last, checksum: this.open.hash.digest('hex') });
    this.open = undefined;
  }

  /** The bmap XML, its BmapFileChecksum computed over the file with that field's value as zeros (format 1.3+). */
  finish(): string {
    if (this.pending.length > 0) {
      const partial = this.pending;
      this.pending = Buffer.alloc(0);
      this.block(partial);
    }
    this.close(Math.ceil(this.size / BMAP_BLOCK) - 1);
    const blocks = Math.ceil(this.size / BMAP_BLOCK);
    const mapped = this.ranges.reduce((n, r) => n + r.last - r.first + 1, 0);
    const range = (r: BmapRange): string => `        <Range chksum="${r.checksum}"> ${r.first === r.last ? r.first : `${r.first}-${r.last}`} </Range>`;
    const xml = (checksum: string): string =>
      [
        '<?xml version="1.0" ?>',
        '<!-- Block map of a drive cloned by macula clone: all-zero blocks are unmapped. -->',
        '<bmap version="2.0">',
        `    <ImageSize> ${this.size} </ImageSize>`,
        `    <BlockSize> ${BMAP_BLOCK} </BlockSize>`,
        `    <BlocksCount> ${blocks} </BlocksCount>`,
        `    <MappedBlocksCount> ${mapped} </MappedBlocksCount>`,
        '    <ChecksumType> sha256 </ChecksumType>',
        `    <BmapFileChecksum> ${checksum} </BmapFileChecksum>`,
        '    <BlockMap>',
        ...this.ranges.map(range),
        '    </BlockMap>',
        '</bmap>',
        '',
      ].join('\n');
    return xml(createHash('sha256').update(xml('0'.repeat(64))).digest('hex'));
  }
}

function isZero(bytes: Buffer): boolean {
  // Whole-buffer comparisons run in native code; a byte loop over gigabytes would not.
  for (let at = 0; at < bytes.length; at += ZEROS.length) {
    const piece = bytes.subarray(at, at + ZEROS.length);
    if (!piece.equals(ZEROS.subarray(0, piece.length))) return false;
  }
  return true;
}

const ZEROS = Buffer.alloc(BMAP_BLOCK);
