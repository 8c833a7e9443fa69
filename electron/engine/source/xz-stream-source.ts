import { Unxz } from 'node-liblzma';
import { archiveError } from './archive-error';
import { decodedStream } from './decoded-stream';
import type { ImageSource } from './image-source';
import { readFileStream } from './read-file';

/**
 * An .xz image still being downloaded (docs/flashing.md, "Streaming from a download"): decoded front to back by one
 * liblzma stream decoder, since its Index — which xz-source.ts reads first to decode Blocks in parallel and to know
 * the size — is at the end. No size hint. A file cut short is not caught by the decoder here but by the download's
 * size and SHA-256 and the writer's own hash, without which chunk 0 is never written.
 */
export function xzGrowingSource(path: string, compressedSize: number): ImageSource {
  return {
    path,
    compression: 'xz',
    compressedSize,
    createReadStream: (signal) =>
      decodedStream({
        path,
        input: readFileStream(path),
        decoder: new Unxz({ chunkSize: 1 << 20 }),
        mapError: (err, inputEnded) => archiveError('xz', path, err, inputEnded),
        signal,
      }),
  };
}
