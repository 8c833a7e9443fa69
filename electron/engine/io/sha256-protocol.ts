/** Messages between HashingStream and its SHA-256 worker thread. */

/** Main → worker: hash the first `length` bytes of a file first (a resumed download's partial), then the batches. */
export interface HashSeed {
  readonly kind: 'seed';
  readonly path: string;
  readonly length: number;
}
/** Main → worker: the next bytes, in order (the buffer is transferred). */
export interface HashBatch {
  readonly kind: 'batch';
  readonly bytes: Uint8Array;
}
/** Main → worker: no more bytes; answer with the digest. */
export interface HashEnd {
  readonly kind: 'end';
}
export type HashRequest = HashSeed | HashBatch | HashEnd;

/**
 * Worker → main: one batch hashed, its buffer handed back for reuse (backpressure, and no garbage per MiB), the final
 * digest, or a failure (e.g. the seed file).
 */
export type HashReply =
  | { readonly kind: 'ack'; readonly bytes: Uint8Array }
  | { readonly kind: 'digest'; readonly hex: string }
  | { readonly kind: 'error'; readonly message: string };
