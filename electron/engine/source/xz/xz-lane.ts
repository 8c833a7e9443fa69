import type { XzBlock } from './xz-index';

/** What a lane's `fill` decoded. */
export interface XzFill {
  readonly length: number;
  /** The Block is decoded to its end and checked; the lane may begin another. */
  readonly done: boolean;
}

/** Where one Block at a time is decoded, piece by piece: a worker thread of its own, or the libuv threadpool. */
export interface XzLane {
  /** Starts on `block`; the lane's previous Block, if any, is done. */
  begin(block: XzBlock): void;
  /** Decodes the Block's next bytes into `out`, a view of the decoder's shared slab: until `out` is full or the Block ends. */
  fill(out: Buffer): Promise<XzFill>;
  /** Stops the lane (a fill that is running finishes first) and frees its decoder and file. */
  close(): Promise<void>;
}

/** The lane itself failed (its worker crashed or could not start): not bad data. */
export class XzLaneFailure extends Error {
  override readonly name = 'XzLaneFailure';
}
