import { Readable } from 'node:stream';
import { destroyOnAbort } from './archive-error';

/**
 * Decoded image bytes read into buffers the caller owns and may reuse at once: no buffer per piece is left for the
 * garbage collector (which lets tens of MiB of them pile up before it runs), and a decoder can write straight into,
 * say, an aligned write buffer. One `read` at a time.
 */
export interface ImageReader {
  /**
   * Fills `into` from its start with the next bytes of the image and resolves with how many: `into.length` except at
   * the end of the image (0 once it is over). Failures are MaculaErrors; an aborted read rejects with ERR_ABORTED.
   */
  read(into: Buffer): Promise<number>;
  /** Frees the reader (file, decoders); a read in progress rejects. */
  close(): Promise<void>;
}

/**
 * A Readable over an ImageReader, for consumers of streams: each `_read` reads one fresh `pieceSize` buffer (small
 * enough to stay in cache for the consumer's copy), pushed as it is since the consumer may keep it.
 */
export class ReaderStream extends Readable {
  constructor(
    readonly reader: ImageReader,
    private readonly pieceSize: number,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  override _read(): void {
    const piece = Buffer.allocUnsafe(this.pieceSize);
    this.reader.read(piece).then(
      (n) => void this.push(n > 0 ? piece.subarray(0, n) : null),
      (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.reader.close().then(
      () => callback(err),
      () => callback(err),
    );
  }
}

/** A ReaderStream that is destroyed with ERR_ABORTED when `signal` fires. */
export function readerStream(reader: ImageReader, pieceSize: number, path: string, signal?: AbortSignal): ReaderStream {
  const stream = new ReaderStream(reader, pieceSize);
  destroyOnAbort(stream, path, signal);
  return stream;
}
