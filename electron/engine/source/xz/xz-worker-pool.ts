import type { Worker } from 'node:worker_threads';
import { type WorkerLauncher, workerLauncher } from '../../io/worker-launcher';
import type { XzBlockResult, XzBlockTask } from './xz-block-protocol';

/** How to start a block worker (xz-block-worker, next to this module or to the bundle); undefined if it cannot run. */
export function xzWorkerLauncher(): WorkerLauncher | undefined {
  return workerLauncher('xz-block-worker', import.meta.url);
}

/** The pool itself failed (a worker crashed or could not start, or the pool was stopped): not bad data. */
export class XzWorkerFailure extends Error {
  override readonly name = 'XzWorkerFailure';
}

interface Job {
  readonly task: XzBlockTask;
  readonly resolve: (data: Uint8Array) => void;
  readonly reject: (err: Error) => void;
}

/** A fixed-size pool of xz block workers; tasks queue until a worker is free. */
export class XzWorkerPool {
  private readonly workers = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly launch: () => Worker,
  ) {}

  /** Decodes one standalone single-Block Stream; its buffer is transferred to the worker. */
  decode(stream: Uint8Array, uncompressedSize: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new XzWorkerFailure('xz worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, stream, uncompressedSize }, resolve, reject });
      this.drain();
    });
  }

  /**
   * Stops the pool; queued and running tasks are rejected at once. Idle workers are terminated now,
   * busy ones as soon as their current Block is done: terminating a worker while it is inside
   * a native synchronous decode aborts the whole process (an uncaught Napi::Error, seen with lzma-native).
   */
  async terminate(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = [...this.queue.splice(0), ...this.running.values()];
    for (const job of pending) job.reject(new XzWorkerFailure('xz worker pool terminated'));
    const idle = this.idle.splice(0);
    for (const worker of idle) this.workers.delete(worker);
    await Promise.all(idle.map((w) => w.terminate()));
  }

  private drain(): void {
    while (!this.closed && this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.workers.size < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.queue.shift();
      if (!job) return;
      this.running.set(worker, job);
      worker.postMessage(job.task, [job.task.stream.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Worker {
    const worker = this.launch();
    this.workers.add(worker);
    worker.on('message', (result: XzBlockResult) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      if (this.closed) {
        this.workers.delete(worker);
        void worker.terminate();
        return;
      }
      this.idle.push(worker);
      if (job) {
        if (result.ok) job.resolve(result.data);
        else job.reject(new Error(result.message));
      }
      this.drain();
    });
    worker.on('error', (err) => this.lose(worker, new XzWorkerFailure(`xz block worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => this.lose(worker, new XzWorkerFailure(`xz block worker exited with code ${code}`)));
    return worker;
  }

  /** A worker died: fail its task; later tasks get a fresh worker. */
  private lose(worker: Worker, err: Error): void {
    if (!this.workers.delete(worker)) return;
    const idleAt = this.idle.indexOf(worker);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    const job = this.running.get(worker);
    this.running.delete(worker);
    job?.reject(err);
    this.drain();
  }
}
