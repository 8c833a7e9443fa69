/** Progress of a long byte-moving operation (download, decompression), as reported to CLI and UI. */
export interface ByteProgress {
  readonly phase: 'downloading' | 'decompressing' | 'hashing';
  /** Bytes done so far, including bytes resumed from an earlier attempt. */
  readonly bytes: number;
  /** Total bytes when known. */
  readonly total?: number;
  /** Smoothed rate in bytes per second. */
  readonly rate: number;
  /** Seconds left at the current rate, when the total is known. */
  readonly etaSeconds?: number;
}

export type ProgressListener = (progress: ByteProgress) => void;
