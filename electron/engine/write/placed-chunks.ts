import type { PlacedSink } from '../source/placed-reader';
import { CHUNK, type Chunk, type ChunkPool, makeChunk } from './aligned-chunks';

/** A chunk being filled: its bytes come in pieces, in any order, from one decoding lane or two (across a Block end). */
interface Filling {
  readonly chunk: Chunk;
  filled: number;
}

/**
 * Puts an image decoded out of order (a PlacedReader) back into CHUNK-sized chunks at their places: each chunk gets a
 * buffer from `pool` when its first byte is about to be decoded (waiting for one paces the decoder: a slow target holds
 * it back) and goes to `complete` as soon as all its bytes are in, whatever the order. A chunk that straddles the end of
 * a Block is filled by two lanes and completes when the later of them is done with it.
 */
export class PlacedChunks implements PlacedSink {
  private readonly open = new Map<number, Filling>();
  /** Chunks whose buffer is being acquired: a second lane asking for the same chunk waits for the same buffer. */
  private readonly opening = new Map<number, Promise<Filling>>();

  constructor(
    private readonly size: number,
    private readonly pool: ChunkPool,
    private readonly complete: (chunk: Chunk) => void,
  ) {}

  async window(offset: number, wanted: number): Promise<Buffer> {
    const index = Math.floor(offset / CHUNK);
    const filling = this.open.get(index) ?? (await this.opened(index));
    const start = offset - index * CHUNK;
    return filling.chunk.buffer.subarray(start, Math.min(filling.chunk.length, start + wanted));
  }

  filled(offset: number, length: number): void {
    const index = Math.floor(offset / CHUNK);
    const filling = this.open.get(index);
    if (!filling || offset + length > index * CHUNK + filling.chunk.length) throw new RangeError(`bytes placed at ${offset} outside their chunk`);
    filling.filled += length;
    if (filling.filled < filling.chunk.length) return;
    this.open.delete(index);
    this.complete(filling.chunk);
  }

  /** Gives back the buffers of chunks never completed: the decoding failed and no window is in use any more. */
  discard(): void {
    for (const { chunk } of this.open.values()) chunk.share(0);
    this.open.clear();
  }

  private opened(index: number): Promise<Filling> {
    let opening = this.opening.get(index);
    if (!opening) {
      opening = this.pool.acquire().then((buffer) => {
        const length = Math.min(CHUNK, this.size - index * CHUNK);
        const filling = { chunk: makeChunk(this.pool, index, buffer, length), filled: 0 };
        this.open.set(index, filling);
        this.opening.delete(index);
        return filling;
      });
      this.opening.set(index, opening);
    }
    return opening;
  }
}
