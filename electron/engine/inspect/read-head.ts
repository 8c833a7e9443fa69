import type { ImageSource } from '../source/image-source';

/** The first `length` bytes of an image's decompressed content (fewer if the image is smaller). */
export async function readImageHead(source: ImageSource, length: number, signal?: AbortSignal): Promise<Buffer> {
  const stream = source.createReadStream(signal);
  const chunks: Buffer[] = [];
  let have = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= length) break;
    }
  } finally {
    // Stop decompressing once we have enough: the rest of a multi-GiB image is not needed here.
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, length);
}
