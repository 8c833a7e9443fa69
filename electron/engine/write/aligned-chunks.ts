import { type FileHandle, open } from 'node:fs/promises';
import { abortedError, ioError } from '../source/archive-error';
import { growthOf, readGrowing } from '../source/growing-file';
import type { ImageReader } from '../source/image-reader';
import { ALIGNMENT, directIo } from './direct-io';
import type { Extent } from './mapped-ranges';

/** Bytes per chunk: one O_DIRECT write (and one read when verifying). */
export const CHUNK = 4 << 20;

/** A slice of the image in an aligned buffer, shared by every target and given back to its pool by the last one. */
export interface Chunk {
  /** Position in the image's sequence of chunks; -1 for bytes that are not the image's (see extraChunk). */
  readonly index: number;
  /** Byte offset of the chunk on the target (for image chunks: index × CHUNK). */
  readonly offset: number;
  /** CHUNK bytes, aligned; zero past `length`, so a write padded to whole sectors writes zeros. */
  readonly buffer: Buffer;
  /** True number of image bytes in the buffer (CHUNK except for the last chunk). */
  readonly length: number;
  /** The parts to write (a sparse write with a block map), relative to `offset`, aligned; absent: the whole chunk. */
  readonly extents?: readonly Extent[];
  /** Bytes that are not the image's (the state filesystem, table sectors): written, not counted as image progress. */
  readonly extra?: boolean;
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

  /** A free buffer if one is at hand now (one can be allocated, or one is free), else undefined: never waits. */
  tryAcquire(): Buffer | undefined {
    const buffer = this.free.pop();
    if (buffer || this.allocated >= this.size) return buffer;
    this.allocated++;
    return directIo.getAlignedBuffer(CHUNK, ALIGNMENT);
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

/** A chunk of `length` bytes in `buffer` (from `pool`, zeroed past `length`), at `offset` on the target. */
export function makeChunk(pool: ChunkPool, index: number, buffer: Buffer, length: number, offset = index * CHUNK): Chunk {
  if (length < CHUNK) buffer.fill(0, length);
  let holders = 0;
  const chunk: Chunk = {
    index,
    offset,
    ...(index < 0 ? { extra: true } : {}),
    buffer,
    length,
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
 * Bytes that are not part of the image, for one target: `fill` puts up to CHUNK bytes into a buffer from `pool` and
 * says how many; they go to the target at `offset` (aligned to its sector size). Shared with one holder.
 */
export async function extraChunk(pool: ChunkPool, offset: number, fill: (buffer: Buffer) => number): Promise<Chunk> {
  const buffer = await pool.acquire();
  let length: number;
  try {
    length = fill(buffer);
  } catch (err) {
    pool.release(buffer);
    throw err;
  }
  if (length <= 0 || length > CHUNK) {
    pool.release(buffer);
    throw new RangeError(`an extra chunk holds 1 to ${CHUNK} bytes, not ${length}`);
  }
  const chunk = makeChunk(pool, -1, buffer, length, offset);
  chunk.share(1);
  return chunk;
}

/**
 * A copy of image chunk `chunk` for one target, in a buffer from `pool`, changed by `edit` (a target's own partition
 * table sectors). Written whole, even in a sparse write: an edited sector may lie outside the mapped extents.
 */
export async function editedCopy(pool: ChunkPool, chunk: Chunk, edit: (buffer: Buffer) => void): Promise<Chunk> {
  const buffer = await pool.acquire();
  chunk.buffer.copy(buffer, 0, 0, chunk.length);
  try {
    edit(buffer.subarray(0, chunk.length));
  } catch (err) {
    pool.release(buffer);
    throw err;
  }
  const copy = makeChunk(pool, chunk.index, buffer, chunk.length, chunk.offset);
  copy.share(1);
  return copy;
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

/**
 * The chunks of a decoded image, decoded by `reader` straight into buffers from `pool`: no copy out of the decoder's
 * own pieces, and no garbage buffer per piece (tens of MiB of them pile up before the collector runs). The reader is
 * closed when the chunks end, are abandoned or fail. Each chunk must be shared and released, as with alignedChunks.
 */
export async function* readerChunks(reader: ImageReader, pool: ChunkPool): AsyncGenerator<Chunk> {
  try {
    for (let index = 0; ; index++) {
      const buffer = await pool.acquire();
      let filled: number;
      try {
        filled = await reader.read(buffer.subarray(0, CHUNK));
      } catch (err) {
        pool.release(buffer);
        throw err;
      }
      if (filled === 0) return pool.release(buffer);
      yield makeChunk(pool, index, buffer, filled);
      if (filled < CHUNK) return;
    }
  } finally {
    await reader.close();
  }
}

/** Reads `length` bytes at `position` of `handle` into `buffer` at `at`, stopping early only at the end of the file. */
async function readAt(handle: FileHandle, path: string, buffer: Buffer, at: number, length: number, position: number): Promise<number> {
  let filled = 0;
  while (filled < length) {
    // A file still being downloaded is read as it grows (growing-file.ts): its current end is not the image's.
    const bytesRead = await readGrowing(handle, path, buffer, at + filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** How fileChunks reads. */
export interface FileChunksOptions {
  /** Stops reading with ERR_ABORTED. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The mapped parts of a block map (as `MappedRanges.wanted` gives them): only those parts of each chunk are read, as
   * bmaptool reads only mapped blocks; the rest of the buffer holds whatever it held before, and must be neither written
   * nor hashed. Chunks of the whole file are still yielded, in order, each with its true length.
   */
  readonly sparse?: ((offset: number, length: number) => readonly Extent[]) | undefined;
  /** Read the next chunk while the caller works on this one (default); off for a caller that wants only the first. */
  readonly readAhead?: boolean;
}

/** One chunk of a raw image file being read ahead of its consumer. */
interface ChunkRead {
  readonly buffer: Buffer;
  /** Bytes read; rejects with the read's error. */
  readonly filled: Promise<number>;
}

/**
 * The chunks of a raw image file, read straight into buffers from `pool` (no stream between: no copy, and no garbage
 * buffer per MiB to wait for the collector), up to the end of the file. Read failures are ERR_IO; `signal` stops
 * reading with ERR_ABORTED. Each chunk must be shared and released, as with alignedChunks.
 *
 * Unless told not to, the next chunk is read while the caller hashes this one, when the pool has a buffer to spare
 * (never waiting for one to read ahead): reading 4 MiB from the page cache and hashing it then overlap instead of
 * taking turns, which was a third of a CPU-bound raw flash's write time.
 */
export async function* fileChunks(path: string, pool: ChunkPool, options: FileChunksOptions = {}): AsyncGenerator<Chunk> {
  const { signal, sparse, readAhead = true } = options;
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw ioError(path, err);
  });
  const onDisk = Number((await handle.stat().catch(async (err: unknown) => {
    await handle.close();
    throw ioError(path, err);
  })).size);
  // A file being downloaded has the size its server announced; its reads wait for the bytes (growing-file.ts).
  const size = growthOf(path)?.expectedSize ?? onDisk;
  const readChunk = async (index: number, buffer: Buffer): Promise<number> => {
    if (!sparse) return readAt(handle, path, buffer, 0, CHUNK, index * CHUNK);
    const filled = Math.max(0, Math.min(CHUNK, size - index * CHUNK));
    for (const { start, length } of sparse(index * CHUNK, filled)) {
      if ((await readAt(handle, path, buffer, start, length, index * CHUNK + start)) < length) throw new Error('the file ended early');
    }
    return filled;
  };
  const start = (index: number, buffer: Buffer): ChunkRead => {
    const filled = readChunk(index, buffer);
    filled.catch(() => undefined); // awaited in turn; this only keeps a read ahead that is never awaited from going unhandled
    return { buffer, filled };
  };
  // Chunks past the file's length at open are not read ahead: a file that grows is read to its end in turn.
  const chunks = Math.ceil(size / CHUNK);
  let ahead: ChunkRead | undefined;
  try {
    for (let index = 0; ; index++) {
      if (signal?.aborted) throw abortedError(path);
      const current = ahead ?? start(index, await pool.acquire());
      ahead = undefined;
      let filled: number;
      try {
        filled = await current.filled;
      } catch (err) {
        pool.release(current.buffer);
        throw ioError(path, err);
      }
      if (filled === 0) return pool.release(current.buffer);
      if (readAhead && filled === CHUNK && index + 1 < chunks) {
        const spare = pool.tryAcquire();
        if (spare) ahead = start(index + 1, spare);
      }
      yield makeChunk(pool, index, current.buffer, filled);
      if (filled < CHUNK) return;
    }
  } finally {
    if (ahead) {
      await ahead.filled.catch(() => undefined);
      pool.release(ahead.buffer);
    }
    await handle.close();
  }
}

/** `length` rounded up to whole sectors: what an O_DIRECT transfer of a chunk's bytes must cover. */
export function paddedLength(length: number, sectorSize: number): number {
  return roundUp(length, sectorSize);
}
