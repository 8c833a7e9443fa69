import { PassThrough } from 'node:stream';
import { ioError } from './archive-error';
import { decodedStream } from './decoded-stream';
import type { ImageSource } from './image-source';
import { readFileStream } from './read-file';

/** An uncompressed image: the file's bytes are the image. */
export function rawSource(path: string, size: number): ImageSource {
  return {
    path,
    compression: 'none',
    compressedSize: size,
    sizeHint: size,
    createReadStream: (signal) =>
      decodedStream({
        path,
        input: readFileStream(path),
        decoder: new PassThrough({ highWaterMark: 1 << 20 }),
        mapError: (err) => ioError(path, err),
        signal,
      }),
  };
}
