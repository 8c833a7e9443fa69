import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { isMaculaError, MaculaError } from '../../../../shared/errors';
import { ioError } from '../archive-error';
import type { XzBlock } from './xz-index';
import { padTo4, singleBlockTrailer, STREAM_HEADER_SIZE } from './xz-format';
import { XzWorkerFailure, XzWorkerPool } from './xz-worker-pool';
import type { Worker } from 'node:worker_threads';

/** What the parallel decoder needs: the file, its Blocks in order, and how to run workers. */
export interface XzParallelOptions {
  readonly path: string;
  readonly blocks: readonly XzBlock[];
  readonly threads: number;
  readonly launch: () => Worker;
}

/**
 * Decodes the Blocks of a multi-Block .xz file on a worker pool and emits them strictly in file order.
 * At most 2 × threads Blocks are read, decoding or waiting to be emitted at any time (bounded memory);
 * emission follows the consumer's demand (backpressure). Workers stop when the stream ends or is destroyed.
 */
export class XzParallelReadable extends Readable {
  /** Blocks pushed so far (in order). */
  blocksEmitted = 0;
  /** Highest number of Blocks in flight at once; never above `maxInFlight`. */
  peakInFlight = 0;
  /** The in-flight bound, 2 × pool size. */
  readonly maxInFlight: number;
  private readonly pool: XzWorkerPool;
  private readonly ready = new Map<number, Uint8Array>();
  private nextToDispatch = 0;
  private inFlight = 0;
  private wanting = false;
  private file: FileHandle | undefined;

  constructor(private readonly options: XzParallelOptions) {
    super({ highWaterMark: 1 << 20 });
    this.pool = new XzWorkerPool(Math.max(1, options.threads), options.launch);
    this.maxInFlight = 2 * this.pool.size;
  }

  override _construct(callback: (err?: Error | null) => void): void {
    open(this.options.path, 'r').then(
      (fh) => {
        this.file = fh;
        callback();
      },
      (err: unknown) => callback(ioError(this.options.path, err)),
    );
  }

  override _read(): void {
    this.wanting = true;
    this.pump();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.ready.clear();
    const file = this.file;
    this.file = undefined;
    Promise.allSettled([this.pool.terminate(), file?.close()]).then(() => callback(err));
  }

  /** Emits finished Blocks in order while the consumer wants data, then keeps the pool fed. */
  private pump(): void {
    if (this.destroyed) return;
    const total = this.options.blocks.length;
    let data: Uint8Array | undefined;
    while (this.wanting && (data = this.ready.get(this.blocksEmitted)) !== undefined) {
      this.ready.delete(this.blocksEmitted);
      this.blocksEmitted++;
      this.inFlight--;
      if (data.length > 0) this.wanting = this.push(data);
      if (this.blocksEmitted === total) {
        this.push(null);
        void this.pool.terminate();
        return;
      }
    }
    while (this.nextToDispatch < total && this.inFlight < this.maxInFlight) {
      this.inFlight++;
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
      this.decodeBlock(this.nextToDispatch++);
    }
  }

  private decodeBlock(index: number): void {
    const block = this.options.blocks[index];
    if (!block) return;
    this.wrapBlock(block)
      .then((stream) => this.pool.decode(stream, block.uncompressedSize))
      .then(
        (data) => {
          if (this.destroyed) return;
          this.ready.set(index, data);
          this.pump();
        },
        (err: unknown) => {
          if (!this.destroyed) this.destroy(this.blockError(index, err));
        },
      );
  }

  /** Reads a Block and wraps it as a standalone single-Block Stream (xz file format 1.0.4 §2.1). */
  private async wrapBlock(block: XzBlock): Promise<Uint8Array> {
    const file = this.file;
    if (!file) throw new Error('file closed');
    const padded = padTo4(block.unpaddedSize); // §3.3 Block Padding is part of the Block
    const trailer = singleBlockTrailer(block.streamHeader.subarray(6, 8), block.unpaddedSize, block.uncompressedSize);
    const stream = new Uint8Array(new ArrayBuffer(STREAM_HEADER_SIZE + padded + trailer.length));
    stream.set(block.streamHeader, 0);
    const { bytesRead } = await file.read(stream, STREAM_HEADER_SIZE, padded, block.offset);
    if (bytesRead !== padded) throw new MaculaError('ERR_ARCHIVE_TRUNCATED', `xz data in ${this.options.path} ends early`);
    stream.set(trailer, STREAM_HEADER_SIZE + padded);
    return stream;
  }

  private blockError(index: number, err: unknown): MaculaError {
    const path = this.options.path;
    if (isMaculaError(err)) return err;
    if (err instanceof XzWorkerFailure) return new MaculaError('ERR_IO', `cannot decode ${path}: ${err.message}`, { path }, { cause: err });
    if (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string') return ioError(path, err);
    const detail = err instanceof Error ? err.message : String(err);
    return new MaculaError('ERR_ARCHIVE_CORRUPT', `xz data in ${path} is corrupt (block ${index + 1}: ${detail})`, {
      path,
      offset: this.options.blocks[index]?.offset,
    }, { cause: err });
  }
}
