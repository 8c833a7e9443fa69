/** Messages between the parallel xz decoder and its block workers. */

/** Main → worker: one Block wrapped as a standalone single-Block .xz Stream. */
export interface XzBlockTask {
  readonly id: number;
  /** The whole standalone Stream; its ArrayBuffer is transferred. */
  readonly stream: Uint8Array;
  /** Uncompressed size the Index records for the Block. */
  readonly uncompressedSize: number;
}

/** Worker → main: the decoded bytes (transferred) or why decoding failed. */
export type XzBlockResult =
  | { readonly id: number; readonly ok: true; readonly data: Uint8Array }
  | { readonly id: number; readonly ok: false; readonly message: string };
