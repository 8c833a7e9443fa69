import { describe, expect, it } from 'vitest';
import { type Bmap, bmapSchema, mappedSize, rangeSpan } from './bmap';

const SHA = 'a'.repeat(64);

function bmap(over: Partial<Bmap> = {}): unknown {
  return {
    version: '2.0',
    imageSize: 10 * 4096 + 100,
    blockSize: 4096,
    blocksCount: 11,
    mappedBlocksCount: 4,
    checksumType: 'sha256',
    ranges: [
      { first: 0, last: 1, checksum: SHA },
      { first: 5, last: 5, checksum: SHA },
      { first: 10, last: 10, checksum: SHA },
    ],
    ...over,
  };
}

describe('bmapSchema', () => {
  it('accepts a consistent map; the last block is cut at ImageSize', () => {
    const parsed = bmapSchema.parse(bmap());
    expect(rangeSpan(parsed, { first: 10, last: 10, checksum: SHA })).toEqual({ start: 40960, end: 41060 });
    expect(mappedSize(parsed)).toBe(2 * 4096 + 4096 + 100);
  });

  it.each([
    ['BlocksCount not fitting ImageSize', { blocksCount: 12 }, /BlocksCount/],
    ['overlapping ranges', { ranges: [{ first: 0, last: 5, checksum: SHA }, { first: 5, last: 6, checksum: SHA }], mappedBlocksCount: 8 }, /overlaps/],
    ['a range past the image', { ranges: [{ first: 11, last: 11, checksum: SHA }], mappedBlocksCount: 1 }, /past the last block/],
    ['a reversed range', { ranges: [{ first: 3, last: 2, checksum: SHA }], mappedBlocksCount: 0 }, /ends before/],
    ['a wrong MappedBlocksCount', { mappedBlocksCount: 5 }, /MappedBlocksCount/],
    ['a SHA-1 where SHA-256 is declared', { ranges: [{ first: 0, last: 0, checksum: 'b'.repeat(40) }], mappedBlocksCount: 1 }, /not a sha256/],
    ['an unknown checksum type', { checksumType: 'md5' as 'sha1' }, /./],
    ['a block size that is no multiple of 512', { blockSize: 1000, blocksCount: 42 }, /./],
  ])('refuses %s', (_name, over, message) => {
    const result = bmapSchema.safeParse(bmap(over));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });
});
