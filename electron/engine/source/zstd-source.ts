import type { ImageSource } from './image-source';
import { readerStream } from './image-reader';
import { ZstdDecoder } from './zstd-decoder';

/** Decoded bytes per piece of the stream: small enough to stay in cache between the decoder and the consumer's copy. */
const ZSTD_PIECE = 128 << 10;

/** A zstd image (RFC 8878); concatenated frames decode as one stream, at the reader's pace (see ZstdDecoder). */
export function zstdSource(path: string, compressedSize: number): ImageSource {
  return {
    path,
    compression: 'zstd',
    compressedSize,
    openReader: (signal) => new ZstdDecoder(path, signal),
    createReadStream: (signal) => readerStream(new ZstdDecoder(path), ZSTD_PIECE, path, signal),
  };
}
