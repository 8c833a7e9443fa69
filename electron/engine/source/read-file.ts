import { createReadStream, type ReadStream } from 'node:fs';

/** Chunk size for sequential reads of image files: large enough to keep decoders busy. */
export const READ_CHUNK = 1 << 20;

/** A sequential read stream over an image file with engine-wide chunk sizing. */
export function readFileStream(path: string): ReadStream {
  return createReadStream(path, { highWaterMark: READ_CHUNK });
}
