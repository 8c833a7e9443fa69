import { describe, expect, it } from 'vitest';
import { denseBytes, SparseBlocks, sparseMismatch, sparseWindow } from '../electron/engine/seed/sparse-bytes';

const KiB = 1024;

/** A mostly-zero range with a few non-zero bytes, some in neighbouring blocks, one in a short last block. */
function sample(): Buffer {
  const bytes = Buffer.alloc(40 * KiB + 100);
  bytes.fill(7, 1024, 2048);
  bytes.fill(9, 8 * KiB - 1, 8 * KiB + 1);
  bytes[20 * KiB + 5] = 1;
  bytes[40 * KiB + 99] = 3;
  return bytes;
}

async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('SparseBlocks', () => {
  it('keeps only the non-zero 4 KiB blocks of a stream, joined into runs, and reads back every byte', async () => {
    const bytes = sample();
    const blocks = await SparseBlocks.fromChunks(pieces(bytes, 3000));
    expect(blocks.length).toBe(bytes.length);
    const sparse = blocks.toSparse();
    // Blocks 0, 1 and 2 are neighbours (one run), block 5 alone, and the short last block.
    expect(sparse.runs.map((r) => [r.offset, r.bytes.length])).toEqual([[0, 12 * KiB], [20 * KiB, 4 * KiB], [40 * KiB, 100]]);
    expect(denseBytes(sparse).equals(bytes)).toBe(true);
    const out = Buffer.alloc(10 * KiB);
    blocks.read(out, 0, out.length, 7 * KiB + 3);
    expect(out.equals(bytes.subarray(7 * KiB + 3, 17 * KiB + 3))).toBe(true);
  });

  it('writes across blocks, drops blocks written back to zeros, and refuses spans outside its length', () => {
    const blocks = new SparseBlocks(64 * KiB);
    blocks.write(Buffer.alloc(KiB), 0, KiB, 5 * KiB);
    expect(blocks.toSparse().runs).toEqual([]);
    const data = Buffer.alloc(6 * KiB, 0xaa);
    blocks.write(data, KiB, 5 * KiB, 3 * KiB);
    blocks.write(Buffer.alloc(4 * KiB), 0, 4 * KiB, 4 * KiB);
    const expected = Buffer.alloc(64 * KiB);
    expected.fill(0xaa, 3 * KiB, 4 * KiB);
    expected.fill(0, 4 * KiB, 8 * KiB);
    expect(denseBytes(blocks.toSparse()).equals(expected)).toBe(true);
    expect(blocks.toSparse().runs.map((r) => r.offset)).toEqual([0]);
    expect(() => blocks.write(data, 0, 2, 64 * KiB - 1)).toThrow(RangeError);
    expect(() => blocks.read(data, 0, 1, -1)).toThrow(RangeError);
  });
});

describe('sparseMismatch', () => {
  it('agrees with a dense comparison: none for the same bytes, else the first differing offset', async () => {
    const bytes = sample();
    const sparse = (await SparseBlocks.fromChunks(pieces(bytes, 4096))).toSparse();
    const window = Buffer.alloc(16 * KiB);
    for (const from of [0, 1000, 8 * KiB - 3, 24 * KiB + 100]) {
      const n = Math.min(window.length, bytes.length - from);
      sparseWindow(sparse, from, n, window);
      const actual = Buffer.from(bytes.subarray(from, from + n));
      expect(window.subarray(0, n).equals(actual)).toBe(true);
      expect(sparseMismatch(sparse, from, actual)).toBeUndefined();
      for (const at of [0, 1, 1023 - from, 1500 - from, 8 * KiB - from, 20 * KiB + 5 - from, n - 1]) {
        if (at < 0 || at >= n) continue;
        const changed = Buffer.from(actual);
        changed[at] = (changed[at]! + 1) & 0xff;
        expect(sparseMismatch(sparse, from, changed), `from ${from} at ${at}`).toBe(at);
      }
    }
  });
});
