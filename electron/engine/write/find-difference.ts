import type { ImageSource } from '../source/image-source';

/**
 * Offset of the first byte where `actual` (the target's bytes from `start`) differs from the image, found by streaming
 * the image again up to that point (a compressed image is decompressed again: this runs only after a mismatch).
 * Undefined if the bytes agree as far as both go.
 */
export async function firstDifference(source: ImageSource, start: number, actual: Buffer, signal?: AbortSignal): Promise<number | undefined> {
  const stream = source.createReadStream(signal);
  let position = 0;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      const end = position + piece.length;
      if (end > start) {
        const from = Math.max(start, position);
        const to = Math.min(end, start + actual.length);
        for (let at = from; at < to; at++) {
          if (piece[at - position] !== actual[at - start]) return at;
        }
        if (to === start + actual.length) return undefined;
      }
      position = end;
    }
    return undefined;
  } finally {
    stream.destroy();
  }
}
