import { PassThrough, type Readable } from 'node:stream';
import type { MaculaError } from '../../../shared/errors';
import { destroyOnAbort } from './archive-error';

/** A decoder stage: a Node Transform or an old-style through-stream (unbzip2-stream). */
export type DecoderStage = NodeJS.ReadWriteStream & { destroy(err?: Error): unknown };

/** What `decodedStream` needs: compressed input, the decoder, and how to name a failure. */
export interface DecodedStreamOptions {
  readonly path: string;
  readonly input: Readable;
  readonly decoder: DecoderStage;
  /** Maps a raw input/decoder error; `inputEnded` tells whether all compressed bytes had been read. */
  readonly mapError: (err: unknown, inputEnded: boolean) => MaculaError;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Pipes `input` through `decoder` (with backpressure) and returns the decoded bytes as one Readable
 * that fails with an already-mapped MaculaError and tears both stages down when it closes.
 */
export function decodedStream({ path, input, decoder, mapError, signal }: DecodedStreamOptions): Readable {
  const output = new PassThrough({ highWaterMark: 1 << 20 });
  let inputEnded = false;
  input.once('end', () => {
    inputEnded = true;
  });
  const fail = (err: unknown): void => {
    if (!output.destroyed) output.destroy(mapError(err, inputEnded));
  };
  input.on('error', fail);
  decoder.on('error', fail);
  input.pipe(decoder).pipe(output);
  output.once('close', () => {
    input.destroy();
    decoder.destroy();
  });
  destroyOnAbort(output, path, signal);
  return output;
}
