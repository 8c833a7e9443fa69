import { MaculaError } from '../../../../shared/errors';
import type { WorkerLauncher } from '../../io/worker-launcher';
import { abortedError } from '../archive-error';
import type { ImageReader } from '../image-reader';
import { xzBlockError } from './xz-block-error';
import type { XzBlock } from './xz-index';
import { XzInlineLane } from './xz-inline-lane';
import type { XzLane } from './xz-lane';
import { XzWorkerLane } from './xz-worker-lane';

/** Bytes per decoding step (one message to a worker, or one threadpool call), and per piece of the stream. */
export const XZ_PIECE = 1 << 20;
/** The Block being read decodes this far ahead of its reader, so its lane keeps busy between reads. */
const HEAD_AHEAD = 2 * XZ_PIECE;
/** Ceiling of the bytes decoded ahead for the Blocks behind the one being read, whatever their size. */
const MAX_AHEAD = 48 << 20;

/** What the parallel decoder needs: the file, its Blocks in order, how many to decode at once and where. */
export interface XzParallelOptions {
  readonly path: string;
  readonly blocks: readonly XzBlock[];
  /** Blocks decoded at once, each on a lane of its own. */
  readonly lanes: number;
  /** Starts a lane's worker thread; without one, lanes run on the libuv threadpool. */
  readonly launch?: WorkerLauncher | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Decoded bytes in a piece of the slab, not all read yet. */
interface Piece {
  readonly offset: number;
  readonly length: number;
  taken: number;
}

/** One Block being decoded or read. */
interface Job {
  /** The Block's place in the file, from 0. */
  readonly index: number;
  /** The lane decoding the Block; given back as soon as the Block is decoded, though its pieces may wait to be read. */
  lane: XzLane | undefined;
  readonly pieces: Piece[];
  /** Bytes in `pieces` not read yet. */
  queued: number;
  done: boolean;
  /** The decoding step running, if any (it settles without failing: failures go to the decoder's `failure`). */
  step?: Promise<void> | undefined;
}

/**
 * How far the lanes may decode ahead of the Block being read. Blocks decode at very different speeds (one of zeros
 * several times faster than one of binaries), and while a slow Block is being read the other lanes can only work ahead
 * into this budget. Simulated over the measured decode time of each Block of the bench's 512 MiB image (`xz -T2`,
 * 24 MiB Blocks, 0.05–1.05 s each), two lanes finish 15 % later than the old whole-Block workers (4 Blocks in flight)
 * with a budget of half a Block, 5 % with one Block, 0.8 % with one and a half. Capped at MAX_AHEAD.
 */
function aheadLimit(blocks: readonly XzBlock[], lanes: number): number {
  if (lanes < 2) return 0;
  const largest = blocks.reduce((max, b) => Math.max(max, b.uncompressedSize), 0);
  return Math.min(MAX_AHEAD, Math.max(XZ_PIECE, Math.ceil(1.5 * (lanes - 1) * largest)));
}

/**
 * Decodes the Blocks of an .xz file on several lanes at once and reads them out strictly in file order. Lanes decode a
 * piece at a time into a shared slab of `holdLimit` bytes (plus a piece per lane), pieces reused once read: the Block
 * being read at most HEAD_AHEAD ahead of its reader, the others within `aheadLimit` in all. A lane goes on to the next
 * Block as soon as its own is decoded; each keeps one liblzma decoder (one dictionary) for the whole file, and reads
 * compressed input a slice at a time. Memory does not grow with Block or image size.
 */
export class XzParallelDecoder implements ImageReader {
  /** Blocks read out completely so far. */
  blocksRead = 0;
  /** Most lanes decoding at the same moment. */
  peakDecoding = 0;
  /** Most bytes held decoded ahead of the reader at once; never above `holdLimit`. */
  peakHeld = 0;
  readonly lanes: number;
  /** Bytes decoded ahead (every Block counted) beyond which the Blocks behind the one being read wait. */
  readonly aheadLimit: number;
  /** What the decoder may hold decoded: `aheadLimit`, plus what the Block being read decodes ahead of its reader. */
  readonly holdLimit: number;
  private readonly slab: SharedArrayBuffer;
  /** Offsets of the slab's free pieces; the last freed is reused first, so untouched pages stay untouched. */
  private readonly free: number[] = [];
  private readonly jobs: Job[] = [];
  private readonly idle: XzLane[] = [];
  private readonly all: XzLane[] = [];
  private nextBlock = 0;
  private decoding = 0;
  private failure: MaculaError | undefined;
  private closed = false;

  constructor(private readonly options: XzParallelOptions) {
    this.lanes = Math.max(1, Math.min(options.lanes, options.blocks.length));
    this.aheadLimit = aheadLimit(options.blocks, this.lanes);
    this.holdLimit = this.aheadLimit + HEAD_AHEAD;
    // Held pieces, one being read part-way, and one being decoded per lane.
    const pieces = Math.ceil(this.holdLimit / XZ_PIECE) + 1 + this.lanes;
    this.slab = new SharedArrayBuffer(pieces * XZ_PIECE);
    for (let i = pieces - 1; i >= 0; i--) this.free.push(i * XZ_PIECE);
  }

  async read(into: Buffer): Promise<number> {
    let filled = 0;
    while (filled < into.length) {
      this.check();
      this.startJobs();
      const head = this.jobs[0];
      if (!head) {
        // All read: the worker threads go now, not when the reader is closed (an idle one would keep Node running).
        void Promise.all(this.all.map((lane) => lane.close()));
        break;
      }
      if (head.pieces.length > 0) filled += this.take(head, into.subarray(filled));
      else if (head.done) this.retire();
      else await (head.step ?? this.step(head));
    }
    this.check();
    this.feed();
    return filled;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.all.map((lane) => lane.close()));
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.options.signal?.aborted) throw abortedError(this.options.path);
    if (this.closed) throw new MaculaError('ERR_IO', `reading ${this.options.path} was stopped`, { path: this.options.path });
  }

  /** Copies what the head Block has decoded into `window`; a piece read to its end is free again. */
  private take(head: Job, window: Buffer): number {
    let n = 0;
    let piece: Piece | undefined;
    while (n < window.length && (piece = head.pieces[0]) !== undefined) {
      const copied = Buffer.from(this.slab, piece.offset + piece.taken, piece.length - piece.taken).copy(window, n);
      piece.taken += copied;
      n += copied;
      if (piece.taken === piece.length) this.free.push(head.pieces.shift()!.offset);
    }
    head.queued -= n;
    return n;
  }

  private retire(): void {
    this.jobs.shift();
    this.blocksRead++;
  }

  /** Bytes decoded and not read yet, every Block counted. */
  private held(): number {
    let held = 0;
    for (const job of this.jobs) held += job.queued;
    return held;
  }

  /**
   * Gives every free lane the next Block: when none is being read, or while the budget has room. A lane is free once
   * its Block is decoded, so a fast Block's lane goes on to the next one while a slow one is still being read.
   */
  private startJobs(): void {
    const blocks = this.options.blocks;
    while (!this.closed && this.nextBlock < blocks.length && (this.idle.length > 0 || this.all.length < this.lanes)) {
      if (this.jobs.length > 0 && this.held() + XZ_PIECE > this.aheadLimit) return;
      const index = this.nextBlock++;
      const lane = this.idle.pop() ?? this.newLane();
      lane.begin(blocks[index]!);
      this.jobs.push({ index, lane, pieces: [], queued: 0, done: false });
    }
  }

  private newLane(): XzLane {
    const { launch, path } = this.options;
    let worker;
    try {
      worker = launch?.();
    } catch {
      worker = undefined; // no thread to be had: the threadpool will do
    }
    const lane = worker ? new XzWorkerLane(worker, path, this.slab) : new XzInlineLane(path);
    this.all.push(lane);
    return lane;
  }

  /** Starts a step on every idle Block with room: the head up to HEAD_AHEAD, the others within aheadLimit in all. */
  private feed(): void {
    if (this.closed || this.failure) return;
    this.startJobs();
    let held = this.held();
    this.peakHeld = Math.max(this.peakHeld, held);
    for (const [i, job] of this.jobs.entries()) {
      if (job.step || job.done || this.free.length === 0) continue;
      const room = i === 0 ? HEAD_AHEAD - job.queued : this.aheadLimit - held;
      if (room < XZ_PIECE) continue;
      held += XZ_PIECE; // reserved for the piece this step decodes
      void this.step(job);
    }
  }

  /** Decodes the next piece of `job` into a free piece of the slab; the next steps start when it is done. */
  private step(job: Job): Promise<void> {
    const lane = job.lane;
    const offset = this.free.pop();
    if (!lane || offset === undefined) throw new Error('no lane or no free piece for a step'); // budgets make this unreachable
    this.decoding++;
    this.peakDecoding = Math.max(this.peakDecoding, this.decoding);
    const step = lane.fill(Buffer.from(this.slab, offset, XZ_PIECE)).then(
      ({ length, done }) => {
        if (length > 0) job.pieces.push({ offset, length, taken: 0 });
        else this.free.push(offset);
        job.queued += length;
        job.done = done;
      },
      (err: unknown) => {
        this.free.push(offset);
        this.failure ??= this.blockError(job.index, err);
      },
    );
    job.step = step.finally(() => {
      this.decoding--;
      job.step = undefined;
      if (job.done && job.lane) {
        this.idle.push(job.lane);
        job.lane = undefined;
      }
      this.feed();
    });
    return job.step;
  }

  private blockError(index: number, err: unknown): MaculaError {
    return xzBlockError(this.options.path, this.options.blocks, index, err, this.closed);
  }
}
