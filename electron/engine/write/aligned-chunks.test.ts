import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHUNK, ChunkPool, fileChunks } from './aligned-chunks';

const dir = mkdtempSync(join(tmpdir(), 'macula-file-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `size` bytes that differ from chunk to chunk (byte i is i mod 251), so a chunk read at the wrong place shows. */
function imageFile(size: number): { path: string; bytes: Buffer } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  const path = join(dir, `image-${size}.img`);
  writeFileSync(path, bytes);
  return { path, bytes };
}

/** How many buffers `pool` can hand out right now without waiting (then gives them back). */
function available(pool: ChunkPool): number {
  const taken: Buffer[] = [];
  for (let buffer = pool.tryAcquire(); buffer; buffer = pool.tryAcquire()) taken.push(buffer);
  for (const buffer of taken) pool.release(buffer);
  return taken.length;
}

describe('fileChunks', () => {
  const { path, bytes } = imageFile(2 * CHUNK + 12345);

  it('yields the file in order, the last chunk short and zero-padded, whatever the pool can spare', async () => {
    for (const size of [1, 2, 4]) {
      const pool = new ChunkPool(size);
      const seen: Buffer[] = [];
      for await (const chunk of fileChunks(path, pool)) {
        expect(chunk.offset).toBe(chunk.index * CHUNK);
        expect(chunk.buffer.subarray(chunk.length).every((b) => b === 0)).toBe(true);
        seen.push(Buffer.from(chunk.buffer.subarray(0, chunk.length)));
        chunk.share(0);
      }
      expect(seen.map((c) => c.length)).toEqual([CHUNK, CHUNK, 12345]);
      expect(Buffer.concat(seen).equals(bytes)).toBe(true);
      expect(available(pool)).toBe(size);
    }
  });

  it('reads the next chunk while the caller holds this one, when the pool has a buffer to spare', async () => {
    const pool = new ChunkPool(3);
    const chunks = fileChunks(path, pool);
    const first = (await chunks.next()).value;
    // One buffer holds chunk 0, one is being filled with chunk 1: one of three is left.
    expect(available(pool)).toBe(1);
    first?.share(0);
    const second = (await chunks.next()).value;
    expect(second?.buffer.subarray(0, 16).equals(bytes.subarray(CHUNK, CHUNK + 16))).toBe(true);
    second?.share(0);
    await chunks.return(undefined);
  });

  it('reads only what it is asked for with readAhead off', async () => {
    const pool = new ChunkPool(3);
    const chunks = fileChunks(path, pool, { readAhead: false });
    const first = (await chunks.next()).value;
    expect(available(pool)).toBe(2);
    first?.share(0);
    await chunks.return(undefined);
  });

  it('gives back the buffer it read ahead into when the caller stops early', async () => {
    const pool = new ChunkPool(3);
    for await (const chunk of fileChunks(path, pool)) {
      chunk.share(0);
      break;
    }
    expect(available(pool)).toBe(3);
  });
});
