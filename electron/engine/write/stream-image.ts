import { createHash } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import { BatchHasher } from '../io/batch-hasher';
import { type Chunk, type ChunkPool, type FileChunksOptions, alignedChunks, fileChunks, readerChunks } from './aligned-chunks';
import { type Lane, type Streamed, live } from './lane';
import type { Extent } from './mapped-ranges';
import type { WriteImageOptions } from './write-types';

/** Which parts of a chunk are the image's to write: all of it, or a block map's extents of it. */
type ChunkExtents = readonly Extent[] | undefined;

/** Chunk 0 as the stream first saw it, to check it when it is read again. */
interface FirstSeen {
  readonly length: number;
  readonly extents: ChunkExtents;
  /** SHA-256 of its bytes to be written (see writtenDigest). */
  readonly digest: Buffer;
}

/**
 * The image's chunks from its start, in buffers from `pool`: a raw file read straight into them (with `only`, just its
 * block map's mapped parts; `readAhead`: see fileChunks), a decoder writing into them, or else the decoded stream
 * regrouped into them.
 */
async function* imageChunks(options: WriteImageOptions, pool: ChunkPool, only: FileChunksOptions['sparse'], readAhead: boolean): AsyncGenerator<Chunk> {
  const { source, signal } = options;
  if (source.compression === 'none') return yield* fileChunks(source.path, pool, { signal, sparse: only, readAhead });
  const reader = source.openReader?.(signal);
  if (reader) return yield* readerChunks(reader, pool);
  const input = source.createReadStream(signal);
  try {
    yield* alignedChunks(input, pool);
  } finally {
    input.destroy();
  }
}

/** SHA-256 of the bytes of `chunk` that get written. */
function writtenDigest(chunk: Chunk, extents: ChunkExtents): Buffer {
  const hash = createHash('sha256');
  for (const { start, length } of extents ?? [{ start: 0, length: chunk.length }]) hash.update(chunk.buffer.subarray(start, start + length));
  return hash.digest();
}

/**
 * Chunk 0 read (or decoded) again from the start of the image, to be written last, checked against the SHA-256 its
 * written bytes had the first time: holding it through the whole write instead would keep a 4 MiB buffer for nothing.
 */
async function readFirstAgain(options: WriteImageOptions, pool: ChunkPool, only: FileChunksOptions['sparse'], seen: FirstSeen): Promise<Chunk> {
  const chunks = imageChunks(options, pool, only, false);
  try {
    const again = (await chunks.next()).value;
    if (again && again.length === seen.length && writtenDigest(again, seen.extents).equals(seen.digest)) return seen.extents ? { ...again, extents: seen.extents } : again;
    again?.share(0);
    throw new MaculaError('ERR_IO', `the first ${seen.length} bytes of ${options.source.path} read differently the second time: the image changed while it was written`, { path: options.source.path });
  } finally {
    await chunks.return(undefined);
  }
}

/**
 * Streams the image once into every live writer, hashing it on the way (the only hash pass). A raw
 * image is read straight into the pool's buffers; anything else is decoded into them. Chunk 0 is hashed and handed
 * back to the pool, then read again at the end for the caller to write last; reading stops early when every target has
 * failed (no hash then). With a block map only its mapped extents of each chunk are written, and an unmapped chunk goes
 * nowhere. If the image fails (unreadable, a range off its block map's checksum, or chunk 0 read differently the second
 * time), chunks not yet started are dropped on every target before the error is thrown: chunk 0 is then never written.
 */
export async function streamImage(options: WriteImageOptions, lanes: readonly Lane[], pool: ChunkPool): Promise<Streamed> {
  const { source } = options;
  const ranges = options.bmap && new (await import('./mapped-ranges')).MappedRanges(options.bmap, source.path);
  // A raw image with a block map is read only where it is mapped, as bmaptool does (a 25 %-full image: a quarter of
  // the reading): its SHA-256 is then not known (the bmap's range checksums vouch for every byte written). A seeded
  // flash reads it whole, for the inventory's image SHA-256 and a table-patched copy of chunk 0 that is written whole.
  const sparse = ranges && source.compression === 'none' && !lanes.some((l) => l.stateConfig !== undefined) ? ranges : undefined;
  const only = sparse && ((offset: number, length: number) => sparse.wanted(offset, length));
  const hash = sparse ? undefined : imageHasher(source);
  let size = 0;
  let head: FirstSeen | undefined;
  let complete = true;
  try {
    for await (const whole of imageChunks(options, pool, only, true)) {
      size += whole.length;
      const writers = live(lanes);
      if (writers.length === 0) {
        whole.share(0);
        complete = false;
        break;
      }
      let chunk = whole;
      try {
        const bytes = whole.buffer.subarray(0, whole.length);
        await hash?.update(bytes);
        if (ranges) chunk = { ...whole, extents: ranges.take(whole.offset, bytes) };
        if (chunk.index === 0) head = { length: chunk.length, extents: chunk.extents, digest: writtenDigest(chunk, chunk.extents) };
      } catch (err) {
        whole.share(0);
        throw err;
      }
      if (chunk.index === 0 || chunk.extents?.length === 0) {
        chunk.share(0);
        continue;
      }
      chunk.share(writers.length);
      for (const writer of writers) writer.submit(chunk);
    }
    if (ranges && complete) ranges.finish(size);
    const first = complete && head ? await readFirstAgain(options, pool, only, head) : undefined;
    return { sha256: complete && hash ? await hash.finish() : undefined, size, first };
  } catch (err) {
    for (const lane of lanes) lane.writer?.abandon();
    throw err;
  } finally {
    hash?.close();
  }
}

/** The SHA-256 of the image as it streams. */
interface ImageHasher {
  update(bytes: Uint8Array): Promise<void> | undefined;
  finish(): Promise<string>;
  close(): void;
}

/**
 * The image is hashed once, whatever the targets: on this thread (see verify-target.ts for the figures: a worker
 * thread costs ≈ 12 MiB, and hashing here is no slower), except for xz, hashed on a worker as when it met its goal:
 * its lanes keep both cores busy on worker threads and wait for the main thread between 1 MiB pieces, so work here
 * delays them (measured: with the hash here and the lanes on the threadpool, 1.46 × `xz -T2 -dc | dd`).
 */
function imageHasher(source: WriteImageOptions['source']): ImageHasher {
  if (source.compression === 'xz') return new BatchHasher();
  const hash = createHash('sha256');
  return {
    update: (bytes) => void hash.update(bytes),
    finish: () => Promise.resolve(hash.digest('hex')),
    close: () => undefined,
  };
}

