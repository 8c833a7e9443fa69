import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { growthOf, readGrowing } from './growing-file';

/** Chunk size for sequential reads of image files: large enough to keep decoders busy. */
export const READ_CHUNK = 1 << 20;

/**
 * A sequential read stream over an image file with engine-wide chunk sizing. A file still being downloaded
 * (growing-file.ts) is read as it grows, to the end its downloader gives.
 */
export function readFileStream(path: string): Readable {
  if (!growthOf(path)) return createReadStream(path, { highWaterMark: READ_CHUNK });
  return Readable.from(growingChunks(path), { objectMode: false, highWaterMark: READ_CHUNK });
}

/** The file's bytes as they arrive, a fresh buffer per piece (the consumer may keep it). */
async function* growingChunks(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    for (let position = 0; ; ) {
      const buffer = Buffer.allocUnsafe(READ_CHUNK);
      const n = await readGrowing(handle, path, buffer, 0, READ_CHUNK, position);
      if (n === 0) return;
      position += n;
      yield buffer.subarray(0, n);
    }
  } finally {
    await handle.close();
  }
}
