import { Transform, type TransformCallback } from 'node:stream';
import { type HashSink, createHashSink } from './hash-sink';

/** Bytes gathered before a batch goes to the hasher: large enough that messaging costs nothing, small enough to stream. */
const BATCH = 1 << 20;

export interface HashingStreamOptions {
  /** Hash this file prefix first: a resumed download continues the hash of the bytes already on disk. */
  readonly seed?: { readonly path: string; readonly length: number };
  /** Hash on this thread even where a worker could start (tests of the fallback). */
  readonly inline?: boolean;
}

/**
 * A pass-through that computes SHA-256 and counts bytes as data flows, so no second pass over a file is needed.
 * The hashing itself runs on a worker thread (inline if none can start): bytes are copied into 1 MiB batches that are
 * handed over whole, so no chunk is referenced after its callback. The digest is ready when the stream has finished.
 */
export class HashingStream extends Transform {
  bytes = 0;
  private readonly sink: HashSink;
  private batch: Uint8Array;
  private filled = 0;
  private hex: string | undefined;

  constructor(options: HashingStreamOptions = {}) {
    super({ highWaterMark: 1 << 20 });
    this.sink = createHashSink(options.seed, options.inline);
    this.batch = this.sink.buffer(BATCH);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.absorb(chunk, 0).then(() => done(null, chunk), done);
  }

  /** Copies `chunk` from `at` into batches, waiting for the hasher to make room whenever it asks to. */
  private async absorb(chunk: Buffer, at: number): Promise<void> {
    while (at < chunk.length) {
      const n = Math.min(BATCH - this.filled, chunk.length - at);
      this.batch.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BATCH) await this.sendBatch();
    }
  }

  override _flush(done: TransformCallback): void {
    const last = this.filled > 0 ? this.sink.update(this.batch.slice(0, this.filled)) : undefined;
    this.filled = 0;
    Promise.resolve(last).then(() => this.sink.finish()).then((hex) => {
      this.hex = hex;
      done();
    }, done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.sink.close();
    done(err);
  }

  /** Hex digest; available once the stream has finished (its 'finish' or the end of the pipeline). */
  digest(): string {
    if (this.hex === undefined) throw new Error('HashingStream.digest() called before the stream finished');
    return this.hex;
  }

  private sendBatch(): Promise<void> | undefined {
    const full = this.batch;
    this.batch = this.sink.buffer(BATCH);
    this.filled = 0;
    return this.sink.update(full);
  }
}
