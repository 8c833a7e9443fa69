import unbzip2Stream from 'unbzip2-stream';
import { archiveError } from './archive-error';
import { decodedStream } from './decoded-stream';
import type { ImageSource } from './image-source';
import { readFileStream } from './read-file';

/**
 * unbzip2-stream has no error codes: running out of input shows up either as its own
 * "ended prematurely" message or as a TypeError from reading past its buffer queue, both
 * only once the whole input has been consumed.
 */
function isBzip2Truncation(err: unknown, inputEnded: boolean): boolean {
  if (err instanceof Error && /ended prematurely/i.test(err.message)) return true;
  return inputEnded && err instanceof TypeError;
}

/** A bzip2 image; concatenated streams (pbzip2) decode as one stream. */
export function bzip2Source(path: string, compressedSize: number): ImageSource {
  return {
    path,
    compression: 'bzip2',
    compressedSize,
    createReadStream: (signal) =>
      decodedStream({
        path,
        input: readFileStream(path),
        decoder: unbzip2Stream(),
        mapError: (err, inputEnded) => archiveError('bzip2', path, err, isBzip2Truncation(err, inputEnded)),
        signal,
      }),
  };
}
