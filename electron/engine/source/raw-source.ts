import { PassThrough } from 'node:stream';
import { ioError } from './archive-error';
import { decodedStream } from './decoded-stream';
import type { ImageSource } from './image-source';
import { readFileStream } from './read-file';

/** An uncompressed image: the file's bytes are the image (`size` undefined: a download of unannounced length). */
export function rawSource(path: string, size: number | undefined): ImageSource {
  return {
    path,
    compression: 'none',
    compressedSize: size ?? 0,
    ...(size !== undefined ? { sizeHint: size } : {}),
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
