import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBmap } from '../source/read-bmap';
import { BMAP_BLOCK, BmapBuilder } from './bmap-builder';

describe('BmapBuilder', () => {
  it('maps non-zero blocks in ranges with their SHA-256, whatever the pieces, and seals the file', () => {
    const image = Buffer.alloc(10 * BMAP_BLOCK + 100);
    image.fill(1, 0, 2 * BMAP_BLOCK); // blocks 0-1
    image[5 * BMAP_BLOCK + 7] = 9; // block 5
    image[10 * BMAP_BLOCK + 50] = 3; // the partial last block 10
    const builder = new BmapBuilder();
    // Pieces that cut blocks in odd places.
    for (let at = 0; at < image.length; at += 3000) builder.push(image.subarray(at, at + 3000));
    const bmap = parseBmap(builder.finish(), 'built.bmap'); // blockmap checks BmapFileChecksum
    const sha = (from: number, to: number): string => createHash('sha256').update(image.subarray(from, to)).digest('hex');
    expect(bmap).toMatchObject({ imageSize: image.length, blockSize: BMAP_BLOCK, blocksCount: 11, mappedBlocksCount: 4 });
    expect(bmap.ranges).toEqual([
      { first: 0, last: 1, checksum: sha(0, 2 * BMAP_BLOCK) },
      { first: 5, last: 5, checksum: sha(5 * BMAP_BLOCK, 6 * BMAP_BLOCK) },
      { first: 10, last: 10, checksum: sha(10 * BMAP_BLOCK, image.length) },
    ]);
  });

  it('maps nothing of an all-zero image', () => {
    const builder = new BmapBuilder();
    builder.push(Buffer.alloc(3 * BMAP_BLOCK));
    expect(parseBmap(builder.finish(), 'zeros.bmap')).toMatchObject({ blocksCount: 3, mappedBlocksCount: 0, ranges: [] });
  });
});
