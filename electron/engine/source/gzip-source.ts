import { createGunzip } from 'node:zlib';
import { archiveError } from './archive-error';
import { decodedStream } from './decoded-stream';
import type { ImageSource } from './image-source';
import { readFileStream } from './read-file';

/** zlib reports input that stops mid-stream as Z_BUF_ERROR ("unexpected end of file"). */
export function isZlibTruncation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'Z_BUF_ERROR';
}

/**
 * A gzip image (RFC 1952), multi-member files included. No size hint: ISIZE is the size
 * modulo 2^32 (RFC 1952 §2.3.1), so it is wrong for images of 4 GiB and more.
 */
export function gzipSource(path: string, compressedSize: number): ImageSource {
  return {
    path,
    compression: 'gzip',
    compressedSize,
    createReadStream: (signal) =>
      decodedStream({
        path,
        input: readFileStream(path),
        decoder: createGunzip({ chunkSize: 1 << 20 }),
        mapError: (err) => archiveError('gzip', path, err, isZlibTruncation(err)),
        signal,
      }),
  };
}
