import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { HashReply, HashRequest } from './sha256-protocol';
import { workerLauncher } from './worker-launcher';

/** Where HashingStream sends bytes: SHA-256 computed on a worker thread, or inline when no worker can start. */
export interface HashSink {
  /** A buffer of `size` bytes to fill and pass to `update`: a recycled one when available. */
  buffer(size: number): Uint8Array;
  /** Hashes `bytes` (which the sink now owns); resolves once there is room for more (backpressure). */
  update(bytes: Uint8Array): Promise<void> | undefined;
  /** Hex digest of the seed and every update. */
  finish(): Promise<string>;
  close(): void;
}

/** At most this many batches queued for the worker: bounds memory when hashing is slower than the input. */
const MAX_QUEUED = 4;

/** SHA-256 on a worker thread, so hashing runs beside network, decompression and disk I/O instead of after them. */
class WorkerHashSink implements HashSink {
  private readonly free: Uint8Array[] = [];
  private queued = 0;
  private room: (() => void) | undefined;
  private digest: { resolve: (hex: string) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private readonly worker: Worker, seed: { path: string; length: number } | undefined) {
    worker.on('message', (reply: HashReply) => this.onReply(reply));
    worker.on('error', (e) => this.fail(e));
    if (seed) this.send({ kind: 'seed', ...seed });
  }

  buffer(size: number): Uint8Array {
    const recycled = this.free.pop();
    return recycled && recycled.length === size ? recycled : new Uint8Array(size);
  }

  update(bytes: Uint8Array): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    this.queued++;
    this.send({ kind: 'batch', bytes }, [bytes.buffer as ArrayBuffer]);
    if (this.queued < MAX_QUEUED) return undefined;
    return new Promise((resolve) => (this.room = resolve));
  }

  finish(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.digest = { resolve, reject };
      this.send({ kind: 'end' });
    });
  }

  close(): void {
    void this.worker.terminate();
  }

  private send(message: HashRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private onReply(reply: HashReply): void {
    switch (reply.kind) {
      case 'ack':
        this.queued--;
        this.free.push(reply.bytes);
        this.room?.();
        this.room = undefined;
        break;
      case 'digest':
        this.digest?.resolve(reply.hex);
        this.close();
        break;
      case 'error':
        this.fail(new Error(reply.message));
        break;
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.digest?.reject(e);
    this.room?.();
    this.close();
  }
}

/** SHA-256 on the calling thread: the fallback when no worker module can be found. */
class InlineHashSink implements HashSink {
  private readonly hash = createHash('sha256');
  private spare: Uint8Array | undefined;
  private readonly seeded: Promise<void>;

  constructor(seed: { path: string; length: number } | undefined) {
    this.seeded = seed ? this.hashPrefix(seed.path, seed.length) : Promise.resolve();
  }

  buffer(size: number): Uint8Array {
    const spare = this.spare;
    this.spare = undefined;
    return spare && spare.length === size ? spare : new Uint8Array(size);
  }

  update(bytes: Uint8Array): Promise<void> {
    return this.seeded.then(() => {
      this.hash.update(bytes);
      this.spare = bytes;
    });
  }

  async finish(): Promise<string> {
    await this.seeded;
    return this.hash.digest('hex');
  }

  close(): void {}

  private async hashPrefix(path: string, length: number): Promise<void> {
    if (length === 0) return;
    for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) this.hash.update(chunk as Buffer);
  }
}

const launch = workerLauncher('sha256-worker', import.meta.url);

/** A hash sink, seeded with the first `seed.length` bytes of `seed.path` when given; `inline` forces the fallback. */
export function createHashSink(seed?: { path: string; length: number }, inline = false): HashSink {
  return launch && !inline ? new WorkerHashSink(launch(), seed) : new InlineHashSink(seed);
}
