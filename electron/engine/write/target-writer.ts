import type { MaculaError } from '../../../shared/errors';
import { type Chunk, paddedLength } from './aligned-chunks';
import type { OpenedTarget } from './open-target';
import { RETRY_DELAYS_MS, isTransient, writeError } from './write-errors';
import { nonZeroExtents } from './zero-blocks';

/** How a TargetWriter reports and paces its work. */
export interface TargetWriterOptions {
  /** Writes in flight at once on this target. */
  readonly maxInFlight: number;
  /** Called with the image bytes of each chunk once it is written (extra chunks are not counted). */
  readonly onWritten: (bytes: number) => void;
  /** Debug/test hook: every write as it starts (offset, padded length). */
  readonly onWrite?: ((offset: number, length: number) => void) | undefined;
  /** Called once, when the target first fails. */
  readonly onFailed?: (error: MaculaError) => void;
  /**
   * The target reads back zeros where nothing is written (measured: discard-zeros.ts), so the zero blocks of image
   * chunks are not written. Extra chunks (the state filesystem, table sectors) are always written whole.
   */
  readonly skipZeroBlocks?: boolean;
  /** Waits between retries (tests pass a fast one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes shared chunks to one target, up to `maxInFlight` positional writes at once, retrying transient errors with
 * backoff. The first failure drops the target: queued chunks are released at once and later ones as soon as they are
 * submitted; the failure kept is the one at the lowest offset, so concurrent writes report where the target really ends.
 */
export class TargetWriter {
  failure: MaculaError | undefined;
  private readonly queue: Chunk[] = [];
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(
    readonly target: OpenedTarget,
    private readonly options: TargetWriterOptions,
  ) {}

  /** Still writing: no failure so far. */
  get alive(): boolean {
    return this.failure === undefined;
  }

  /** Queues a chunk this writer holds one share of; it is released once written (or dropped). */
  submit(chunk: Chunk): void {
    if (!this.alive) return chunk.release();
    this.queue.push(chunk);
    this.pump();
  }

  /** Resolves once every submitted chunk is written or dropped. */
  drained(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops the chunks not yet started (the image went bad): writes in flight finish, nothing more starts. */
  abandon(): void {
    for (const chunk of this.queue.splice(0)) chunk.release();
    if (this.inFlight === 0) for (const done of this.waiters.splice(0)) done();
  }

  /** Records a failure (also from outside the write path: fsync); of two with offsets the lower one is kept. */
  fail(error: MaculaError): void {
    const first = this.failure === undefined;
    if (this.failure === undefined || lowerOffset(error, this.failure)) this.failure = error;
    if (first) this.options.onFailed?.(error);
    for (const chunk of this.queue.splice(0)) chunk.release();
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.alive) {
      const chunk = this.queue.shift();
      if (!chunk) break;
      this.inFlight++;
      void this.writeChunk(chunk).finally(() => {
        chunk.release();
        this.inFlight--;
        this.pump();
        if (this.inFlight === 0 && this.queue.length === 0) for (const done of this.waiters.splice(0)) done();
      });
    }
  }

  private async writeChunk(chunk: Chunk): Promise<void> {
    // The image's bytes of the chunk (its mapped part with a block map), counted as written even where zero blocks are skipped.
    const imageExtents = chunk.extents ?? [{ start: 0, length: chunk.length }];
    const extents = !chunk.extents && !chunk.extra && this.options.skipZeroBlocks ? nonZeroExtents(chunk) : imageExtents;
    // In chunk 0 the extents go last to first, so the partition table at offset 0 is the very last write.
    for (const extent of chunk.index === 0 ? [...extents].reverse() : extents) {
      if (!(await this.writeExtent(chunk, extent.start, extent.length))) return;
    }
    if (!chunk.extra) this.options.onWritten(imageExtents.reduce((sum, e) => sum + e.length, 0));
  }

  /** Writes `length` bytes from `start` in the chunk, padded to whole sectors; false once the target has failed. */
  private async writeExtent(chunk: Chunk, start: number, length: number): Promise<boolean> {
    const total = paddedLength(length, this.target.sectorSize);
    const offset = chunk.offset + start;
    this.options.onWrite?.(offset, total);
    let done = 0;
    let attempt = 0;
    while (done < total) {
      try {
        const { bytesWritten } = await this.target.handle.write(chunk.buffer, start + done, total - done, offset + done);
        // A zero-byte write makes no progress; Linux reports the end of a device as ENOSPC, this is the same thing.
        if (bytesWritten === 0) throw Object.assign(new Error('no bytes written'), { code: 'ENOSPC' });
        done += bytesWritten;
        attempt = 0;
      } catch (err) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (isTransient(err) && delay !== undefined && this.alive) {
          attempt++;
          await (this.options.sleep ?? defaultSleep)(delay);
          continue;
        }
        this.fail(writeError(this.target.path, offset + done, err));
        return false;
      }
    }
    return true;
  }
}

function lowerOffset(a: MaculaError, b: MaculaError): boolean {
  return a.details.offset !== undefined && b.details.offset !== undefined && a.details.offset < b.details.offset;
}
