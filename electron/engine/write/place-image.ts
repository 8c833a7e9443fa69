import { createHash } from 'node:crypto';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import type { PlacedReader } from '../source/placed-reader';
import { CHUNK, type Chunk, ChunkPool, makeChunk } from './aligned-chunks';
import { PlacedChunks } from './placed-chunks';
import type { TargetWriter } from './target-writer';
import type { WriteImageOptions } from './write-types';

/** Bytes of one chunk's SHA-256 in ChunkDigests. */
export const DIGEST = 32;

/** The SHA-256 of every chunk of the image, chunk `i` at bytes [i × DIGEST, (i + 1) × DIGEST). */
export type ChunkDigests = Buffer;

/** What writing an image out of order leaves for the rest of the flash. */
export interface Placed {
  /** Not known yet: nothing read the image in order (the read-back computes it, see verify-chunks.ts). */
  readonly sha256: undefined;
  readonly size: number;
  /** Chunk 0, to be written last (decoded again at the end); undefined if the image is empty or every target failed. */
  readonly first: Chunk | undefined;
  /** Every chunk's SHA-256, taken as it was completed; undefined if the image was not read to its end. */
  readonly digests: ChunkDigests | undefined;
}

/**
 * Writes in flight per target on this path. The decoder's lanes and their compressed-input reads share the libuv
 * threadpool (four threads) with the writes, and a write to a slow device holds its thread for as long as the device
 * takes: two lanes and one write leave a thread for the reads. One write keeps up, as dd's one does: the lanes decode
 * at ~100 MB/s. Measured on the bench's image, USB3-like: 6.07–6.12 s with one, 6.00–6.03 s with two (noise), and the
 * pool is a chunk (4 MiB) smaller.
 */
export const PLACED_WRITE_DEPTH = 1;

/**
 * The image is decoded out of order (see PlacedReader) when it can be and no block map picks parts of it. `stop` ends
 * the decoding early (every target failed), as the caller's `signal` does.
 */
export function placedReader(options: WriteImageOptions, stop: AbortController): PlacedReader | undefined {
  if (options.bmap || !options.source.openPlaced) return undefined;
  // AbortSignal.any, not a listener on the caller's signal: a listener would stay on it after the flash (an app that
  // reuses one signal for many flashes would collect one per flash).
  return options.source.openPlaced(options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal);
}

/**
 * Buffers for a placed write: a chunk being filled by each lane plus, for all but the lane on the oldest Block, the
 * chunk its Block began in, which waits for the Block before it to end there; with one more the lanes can always go on
 * (the writes give theirs back), with `depth` more the writes keep going while the lanes wait at a Block's end. None
 * more for several targets: three throttled loops (200, 150, 200 MB/s) took 6.89-7.13 s without, 7.05-7.18 s with two
 * more, 7 MiB bigger. Chunk 0 is not held (see placeImage).
 */
export function placedPool(reader: PlacedReader, depth: number): ChunkPool {
  return new ChunkPool(2 * reader.lanes - 1 + depth);
}

/** Chunk 0 decoded again at the end, checked against the SHA-256 it had when it was first decoded. */
async function decodeHead(reader: PlacedReader, pool: ChunkPool, digest: Buffer): Promise<Chunk> {
  const buffer = await pool.acquire();
  try {
    const length = await reader.readHead(buffer.subarray(0, Math.min(CHUNK, reader.size)));
    const again = createHash('sha256').update(buffer.subarray(0, length)).digest();
    if (!again.equals(digest)) throw new MaculaError('ERR_IO', `the first ${length} bytes of the image decoded differently the second time`);
    return makeChunk(pool, 0, buffer, length);
  } catch (err) {
    pool.release(buffer);
    throw err;
  }
}

/**
 * Decodes the image with `reader` and writes each chunk to every live writer as soon as all its bytes are in, in
 * whatever order that is: nothing is held to put the image in order, so memory is the pool's whatever the Blocks. Each
 * chunk's SHA-256 is taken here, on this thread (≈ 2 ms per chunk with SHA-NI, cheaper than a hashing worker's 12 MiB
 * and its copies), for the read-back to compare against. Chunk 0, written last, is decoded a second time at the end
 * rather than held all along: 4 MiB less for the whole flash, for ≈ 40 ms of decoding. Decoding stops early, through
 * `stop`, when every target has failed (no digests then). If the image fails (corrupt, or `signal` aborted), the chunks
 * not yet started are dropped on every target (`abandon`) and the error is thrown: chunk 0 is then never written, so no
 * target looks like a disk holding the image.
 */
export async function placeImage(
  reader: PlacedReader,
  pool: ChunkPool,
  writers: () => readonly TargetWriter[],
  stop: AbortController,
  abandon: () => void,
  signal: AbortSignal | undefined,
): Promise<Placed> {
  const digests = Buffer.alloc(Math.ceil(reader.size / CHUNK) * DIGEST);
  const chunks = new PlacedChunks(reader.size, pool, (chunk) => {
    createHash('sha256').update(chunk.buffer.subarray(0, chunk.length)).digest().copy(digests, chunk.index * DIGEST);
    const live = writers();
    if (live.length === 0) stop.abort();
    const to = chunk.index === 0 ? [] : live; // chunk 0 goes back to the pool: decodeHead makes it again
    chunk.share(to.length);
    for (const writer of to) writer.submit(chunk);
  });
  try {
    await reader.run(chunks);
  } catch (err) {
    chunks.discard();
    if (stop.signal.aborted && !signal?.aborted && isMaculaError(err) && err.code === 'ERR_ABORTED') return { sha256: undefined, size: reader.size, first: undefined, digests: undefined };
    abandon();
    throw err;
  }
  if (writers().length === 0) return { sha256: undefined, size: reader.size, first: undefined, digests: undefined };
  try {
    const first = reader.size > 0 ? await decodeHead(reader, pool, digests.subarray(0, DIGEST)) : undefined;
    return { sha256: undefined, size: reader.size, first, digests };
  } catch (err) {
    abandon();
    throw err;
  }
}
