import { Transform, type TransformCallback } from 'node:stream';
import { BatchHasher, type BatchHasherOptions } from './batch-hasher';

export type HashingStreamOptions = BatchHasherOptions;

/**
 * A pass-through that computes SHA-256 and counts bytes as data flows, so no second pass over a file is needed.
 * The hashing itself runs on a worker thread (inline if none can start), through a BatchHasher: bytes are copied into
 * 1 MiB batches that are handed over whole, so no chunk is referenced after its callback. The digest is ready when the
 * stream has finished.
 */
export class HashingStream extends Transform {
  bytes = 0;
  private readonly hasher: BatchHasher;
  private hex: string | undefined;

  constructor(options: HashingStreamOptions = {}) {
    super({ highWaterMark: 1 << 20 });
    this.hasher = new BatchHasher(options);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hasher.update(chunk).then(() => done(null, chunk), done);
  }

  override _flush(done: TransformCallback): void {
    this.hasher.finish().then((hex) => {
      this.hex = hex;
      done();
    }, done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.hasher.close();
    done(err);
  }

  /** Hex digest; available once the stream has finished (its 'finish' or the end of the pipeline). */
  digest(): string {
    if (this.hex === undefined) throw new Error('HashingStream.digest() called before the stream finished');
    return this.hex;
  }
}
