/**
 * Decoding an image out of order, each piece straight to its place: for a format whose parts decode independently and
 * whose layout is known up front (a multi-Block .xz with its Index), nothing has to be held back to restore the order.
 */

/** Where a PlacedReader decodes to: buffers handed out by image offset, and word of what was decoded into them. */
export interface PlacedSink {
  /**
   * A buffer to decode image bytes [offset, offset + n) into, for some 1 ≤ n ≤ `wanted` (its length), or 0 ≤ n when
   * `wanted` is 0; may wait (for memory) and so paces the decoding. Nothing else may touch it until `filled`: the
   * decoder reads back what it wrote (liblzma computes a Block's check over its output; seen failing as "data is
   * corrupt" when two lanes were given the same memory).
   */
  window(offset: number, wanted: number): Promise<Buffer>;
  /** The first `length` bytes of the window for `offset` hold the image's bytes now. */
  filled(offset: number, length: number): void;
}

/** An image decoded piece by piece into a PlacedSink, every piece once, in no particular order. */
export interface PlacedReader {
  /** The image's decoded size. */
  readonly size: number;
  /** Pieces being decoded at once at most (each lane has one window at a time, and at most one more part-filled). */
  readonly lanes: number;
  /**
   * Decodes the whole image into `sink`. Resolves once every byte is placed; rejects (a MaculaError: corrupt data
   * naming the part, ERR_ABORTED, ERR_IO) only once no window is being decoded into any more.
   */
  run(sink: PlacedSink): Promise<void>;
  /**
   * Decodes the image's first `into.length` bytes (fewer if the image is shorter) again, into `into`; resolves with
   * how many. For a caller that writes them last and would rather decode them twice than hold them all along.
   */
  readHead(into: Buffer): Promise<number>;
}
