import { type HashSink, createHashSink } from './hash-sink';

/** Bytes gathered before a batch goes to the hasher: large enough that messaging costs nothing, small enough to stream. */
const BATCH = 1 << 20;

export interface BatchHasherOptions {
  /** Hash this file prefix first: a resumed download continues the hash of the bytes already on disk. */
  readonly seed?: { readonly path: string; readonly length: number };
  /** Hash on this thread even where a worker could start (tests of the fallback). */
  readonly inline?: boolean;
}

/**
 * SHA-256 of bytes handed over piece by piece, computed on a worker thread (inline if none can start). Each piece is
 * copied into 1 MiB batches that are transferred whole, so the caller may reuse a piece's buffer as soon as `update`
 * resolves; the only work left on the calling thread is that copy.
 */
export class BatchHasher {
  private readonly sink: HashSink;
  private batch: Uint8Array;
  private filled = 0;

  constructor(options: BatchHasherOptions = {}) {
    this.sink = createHashSink(options.seed, options.inline);
    this.batch = this.sink.buffer(BATCH);
  }

  /** Copies `bytes` into batches, resolving once they are all copied and the hasher has room for more (backpressure). */
  async update(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(BATCH - this.filled, bytes.length - at);
      this.batch.set(bytes.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BATCH) await this.sendBatch();
    }
  }

  /** Hex digest of the seed and every update; call once, after the last update has resolved. */
  async finish(): Promise<string> {
    const last = this.filled > 0 ? this.sink.update(this.batch.slice(0, this.filled)) : undefined;
    this.filled = 0;
    await last;
    return this.sink.finish();
  }

  /** Stops the worker (also mid-way: an abandoned hash). */
  close(): void {
    this.sink.close();
  }

  private sendBatch(): Promise<void> | undefined {
    const full = this.batch;
    this.batch = this.sink.buffer(BATCH);
    this.filled = 0;
    return this.sink.update(full);
  }
}
