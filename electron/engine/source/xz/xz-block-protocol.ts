/** Messages between a worker lane (xz-worker-lane) and its thread (xz-block-worker). */
import type { MaculaErrorCode } from '../../../../shared/errors';
import type { XzBlock } from './xz-index';

/** Main → worker: the file and the slab pieces are decoded into; a Block to start; a piece to fill; stop. */
export type XzLaneRequest =
  | { readonly kind: 'open'; readonly path: string; readonly slab: SharedArrayBuffer }
  | { readonly kind: 'block'; readonly block: XzBlock }
  | { readonly kind: 'fill'; readonly offset: number; readonly length: number }
  | { readonly kind: 'stop' };

/**
 * Worker → main: a piece filled, or why not: a MaculaError's code (truncated file, I/O), liblzma's return code, or
 * only a message.
 */
export type XzLaneReply =
  | { readonly kind: 'filled'; readonly length: number; readonly done: boolean }
  | { readonly kind: 'error'; readonly message: string; readonly code?: MaculaErrorCode; readonly lzmaRet?: number };
