import { createHash } from 'node:crypto';
import { ALIGNMENT, directIo } from './direct-io';
import type { Extent } from './mapped-ranges';

/** Bytes per chunk: one O_DIRECT write, one verification digest. */
export const CHUNK = 4 << 20;

/** A slice of the image in an aligned buffer, shared by every target and given back to its pool by the last one. */
export interface Chunk {
  readonly index: number;
  /** Byte offset of the chunk in the image. */
  readonly offset: number;
  /** CHUNK bytes, aligned; zero past `length`, so a write padded to whole sectors writes zeros. */
  readonly buffer: Buffer;
  /** True number of image bytes in the buffer (CHUNK except for the last chunk). */
  readonly length: number;
  /** SHA-256 of the chunk's true bytes. */
  readonly digest: Buffer;
  /** The parts to write (a sparse write with a block map), relative to `offset`, aligned; absent: the whole chunk. */
  readonly extents?: readonly Extent[];
  /** Hands the chunk to `holders` users; the buffer returns to the pool after as many `release` calls (now, if 0). */
  share(holders: number): void;
  release(): void;
}

/**
 * A fixed number of aligned CHUNK buffers, allocated on first use and reused only once every target is done with one:
 * memory stays at `size` × CHUNK whatever the image size, and a slow target holds the reader back.
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: ((buffer: Buffer) => void)[] = [];
  private allocated = 0;

  constructor(readonly size: number) {}

  /** A free buffer, waiting for one to be released when all are in use. */
  acquire(): Promise<Buffer> {
    const buffer = this.free.pop();
    if (buffer) return Promise.resolve(buffer);
    if (this.allocated < this.size) {
      this.allocated++;
      return Promise.resolve(directIo.getAlignedBuffer(CHUNK, ALIGNMENT));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Returns a buffer to the pool (or straight to the oldest waiter). */
  release(buffer: Buffer): void {
    const next = this.waiting.shift();
    if (next) next(buffer);
    else this.free.push(buffer);
  }
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

function makeChunk(pool: ChunkPool, index: number, buffer: Buffer, length: number): Chunk {
  if (length < CHUNK) buffer.fill(0, length);
  let holders = 0;
  const chunk: Chunk = {
    index,
    offset: index * CHUNK,
    buffer,
    length,
    digest: createHash('sha256').update(buffer.subarray(0, length)).digest(),
    share(n) {
      holders = n;
      if (n === 0) pool.release(buffer);
    },
    release() {
      if (--holders === 0) pool.release(buffer);
    },
  };
  return chunk;
}

/**
 * Regroups a byte stream into CHUNK-sized aligned buffers from `pool` (the last one shorter). Each chunk must be shared
 * and released, or the pool runs dry and the reader stops.
 */
export async function* alignedChunks(input: AsyncIterable<Buffer>, pool: ChunkPool): AsyncGenerator<Chunk> {
  let index = 0;
  let buffer: Buffer | undefined;
  let filled = 0;
  for await (const piece of input) {
    let at = 0;
    while (at < piece.length) {
      buffer ??= await pool.acquire();
      const n = Math.min(CHUNK - filled, piece.length - at);
      piece.copy(buffer, filled, at, at + n);
      filled += n;
      at += n;
      if (filled === CHUNK) {
        yield makeChunk(pool, index++, buffer, filled);
        buffer = undefined;
        filled = 0;
      }
    }
  }
  if (buffer && filled > 0) yield makeChunk(pool, index, buffer, filled);
  else if (buffer) pool.release(buffer);
}

/** `length` rounded up to whole sectors: what an O_DIRECT transfer of a chunk's bytes must cover. */
export function paddedLength(length: number, sectorSize: number): number {
  return roundUp(length, sectorSize);
}
