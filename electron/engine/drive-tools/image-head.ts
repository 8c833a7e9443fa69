import type { ImageSource } from '../source/image-source';

/** The image's first `length` bytes (fewer if it is shorter), read from a fresh stream that is then closed. */
export async function readImageHead(source: ImageSource, length: number, signal?: AbortSignal): Promise<Buffer> {
  const stream = source.createReadStream(signal);
  const pieces: Buffer[] = [];
  let got = 0;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      pieces.push(Buffer.from(piece.subarray(0, length - got)));
      got += Math.min(piece.length, length - got);
      if (got >= length) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(pieces);
}

/**
 * The image's size: the container's record when it has one, else counted by decompressing it once (gzip, bzip2 and
 * zstd frames without a content size record none).
 */
export async function imageSizeOf(source: ImageSource, signal?: AbortSignal): Promise<number> {
  if (source.sizeHint !== undefined) return source.sizeHint;
  let size = 0;
  for await (const piece of source.createReadStream(signal) as AsyncIterable<Buffer>) size += piece.length;
  return size;
}
