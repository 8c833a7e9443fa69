import { DecompressStream } from 'zstd-napi';
import { archiveError } from './archive-error';
import { decodedStream } from './decoded-stream';
import type { ImageSource } from './image-source';
import { readFileStream } from './read-file';

/** Accept windows up to 2 GiB so `zstd --long=31` images decode (RFC 8878 §3.1.1.1.2 Window_Descriptor). */
const WINDOW_LOG_MAX = 31;

/** zstd-napi's message when the input stops inside a frame. */
function isZstdTruncation(err: unknown): boolean {
  return err instanceof Error && /ended in middle/i.test(err.message);
}

/** A zstd image (RFC 8878); concatenated frames decode as one stream. */
export function zstdSource(path: string, compressedSize: number): ImageSource {
  return {
    path,
    compression: 'zstd',
    compressedSize,
    createReadStream: (signal) =>
      decodedStream({
        path,
        input: readFileStream(path),
        decoder: new DecompressStream({ windowLogMax: WINDOW_LOG_MAX }),
        mapError: (err) => archiveError('zstd', path, err, isZstdTruncation(err)),
        signal,
      }),
  };
}
