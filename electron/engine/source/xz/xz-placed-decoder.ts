import type { MaculaError } from '../../../../shared/errors';
import { abortedError } from '../archive-error';
import type { PlacedReader, PlacedSink } from '../placed-reader';
import { xzBlockError } from './xz-block-error';
import type { XzBlock } from './xz-index';
import { XzInlineLane } from './xz-inline-lane';

/** What the placed decoder needs: the file, its Blocks in file order, how many to decode at once. */
export interface XzPlacedOptions {
  readonly path: string;
  readonly blocks: readonly XzBlock[];
  readonly lanes: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Decodes the Blocks of a multi-Block .xz file on several lanes at once, each Block straight into the windows its sink
 * hands out at the Block's own place in the image (the Index gives every Block's decoded offset), so no lane waits for
 * another and nothing is held to put the bytes in order. Blocks are begun in file order, the next one by whichever lane
 * is free.
 *
 * The lanes are on the libuv threadpool (XzInlineLane), not on worker threads as for the ordered XzParallelDecoder: a
 * worker thread costs ≈ 9 MiB of resident memory besides its decoder (measured: two worker lanes decoding the bench's
 * image peak at 90 MiB in a bare Node of 46 MiB), which leaves no room for write buffers under the 100 MB a flash may
 * use (issue 3). On the threadpool (4 threads) two lanes leave two threads for the writes, and the writer keeps two
 * writes in flight for this path, so decoding does not queue behind writes.
 */
export class XzPlacedDecoder implements PlacedReader {
  readonly size: number;
  readonly lanes: number;
  /** Decoded offset of each Block. */
  private readonly starts: number[] = [];
  private nextBlock = 0;
  private failure: MaculaError | undefined;

  constructor(private readonly options: XzPlacedOptions) {
    let at = 0;
    for (const block of options.blocks) {
      this.starts.push(at);
      at += block.uncompressedSize;
    }
    this.size = at;
    this.lanes = Math.max(1, Math.min(options.lanes, options.blocks.length));
  }

  async run(sink: PlacedSink): Promise<void> {
    const lanes = Array.from({ length: this.lanes }, () => new XzInlineLane(this.options.path));
    try {
      // Every lane settles before this does: a window still being decoded into must not go back to its owner.
      await Promise.allSettled(lanes.map((lane) => this.drive(lane, sink)));
    } finally {
      await Promise.all(lanes.map((lane) => lane.close()));
    }
    if (this.failure) throw this.failure;
    if (this.options.signal?.aborted) throw abortedError(this.options.path);
  }

  async readHead(into: Buffer): Promise<number> {
    const { blocks, path } = this.options;
    const lane = new XzInlineLane(path);
    let at = 0;
    try {
      for (const [index, block] of blocks.entries()) {
        if (at === into.length) break;
        lane.begin(block);
        try {
          for (let done = false; !done && at < into.length; ) {
            const fill = await lane.fill(into.subarray(at));
            at += fill.length;
            done = fill.done;
          }
        } catch (err) {
          throw xzBlockError(path, blocks, index, err, false);
        }
      }
      return at;
    } finally {
      await lane.close();
    }
  }

  /** Decodes Block after Block on `lane` until none is left or any lane has failed. */
  private async drive(lane: XzInlineLane, sink: PlacedSink): Promise<void> {
    const { blocks, signal, path } = this.options;
    while (this.failure === undefined && this.nextBlock < blocks.length) {
      const index = this.nextBlock++;
      const block = blocks[index]!;
      const end = this.starts[index]! + block.uncompressedSize;
      let at = this.starts[index]!;
      lane.begin(block);
      try {
        // One more fill after the last byte when it did not end the Block (an empty Block): it checks the Block's end.
        for (let done = false; !done; ) {
          if (signal?.aborted) throw abortedError(path);
          if (this.failure) return;
          const window = await sink.window(at, end - at);
          const fill = await lane.fill(window);
          if (fill.length > 0) sink.filled(at, fill.length);
          at += fill.length;
          done = fill.done;
        }
      } catch (err) {
        this.failure ??= xzBlockError(path, blocks, index, err, false);
        return;
      }
    }
  }
}
