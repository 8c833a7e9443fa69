import type { Worker } from 'node:worker_threads';
import { MaculaError } from '../../../../shared/errors';
import { type WorkerLauncher, workerLauncher } from '../../io/worker-launcher';
import { LzmaError } from './lzma-decoder';
import type { XzLaneReply, XzLaneRequest } from './xz-block-protocol';
import type { XzBlock } from './xz-index';
import { type XzFill, type XzLane, XzLaneFailure } from './xz-lane';

/** How to start a lane's worker (xz-block-worker, next to this module or to the bundle); undefined if it cannot run. */
export function xzWorkerLauncher(): WorkerLauncher | undefined {
  return workerLauncher('xz-block-worker', import.meta.url);
}

/** A lane on a worker thread of its own (xz-block-worker), filling pieces of a slab it shares with the decoder. */
export class XzWorkerLane implements XzLane {
  private pending: { resolve: (fill: XzFill) => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;
  private stopping = false;
  private readonly exited: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly path: string,
    private readonly slab: SharedArrayBuffer,
  ) {
    worker.on('message', (reply: XzLaneReply) => this.onReply(reply));
    worker.on('error', (err) => this.fail(new XzLaneFailure(`xz worker failed: ${err.message}`, { cause: err })));
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        this.fail(new XzLaneFailure(`xz worker exited with code ${code}`));
        resolve();
      });
    });
    this.post({ kind: 'open', path, slab });
  }

  begin(block: XzBlock): void {
    this.post({ kind: 'block', block });
  }

  fill(out: Buffer): Promise<XzFill> {
    if (out.buffer !== this.slab) return Promise.reject(new Error('a worker lane fills only pieces of its slab'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.post({ kind: 'fill', offset: out.byteOffset, length: out.length });
    });
  }

  /**
   * Asks the worker to stop once its current piece is done, rather than terminating it: terminating a thread inside a
   * native decode can abort the whole process (an uncaught Napi::Error, seen with lzma-native).
   */
  async close(): Promise<void> {
    if (!this.stopping && !this.failure) this.post({ kind: 'stop' });
    this.stopping = true;
    await this.exited;
  }

  private post(request: XzLaneRequest): void {
    this.worker.postMessage(request);
  }

  private onReply(reply: XzLaneReply): void {
    const pending = this.pending;
    this.pending = undefined;
    if (reply.kind === 'filled') pending?.resolve({ length: reply.length, done: reply.done });
    else if (reply.code !== undefined) pending?.reject(new MaculaError(reply.code, reply.message, { path: this.path }));
    else pending?.reject(reply.lzmaRet !== undefined ? new LzmaError(reply.lzmaRet) : new Error(reply.message));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.pending?.reject(err);
    this.pending = undefined;
  }
}
