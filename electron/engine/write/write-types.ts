import type { Bmap } from '../../../shared/bmap';
import type { z } from 'zod';
import type { stateResultSchema, targetResultSchema } from '../../../shared/writer-protocol';
import type { ImageSource } from '../source/image-source';

/** Where one target stands: its bytes go out, come back for comparison, and it ends done or failed. */
export type WritePhase = 'writing' | 'verifying' | 'done' | 'failed';

/** Progress of one target; `bytes` and `total` count image bytes of the current phase. */
export interface WriteProgress {
  readonly target: string;
  readonly phase: WritePhase;
  readonly bytes: number;
  /** Image size when known (a gzip image's size is known only once it is read). */
  readonly total?: number;
  /** Smoothed rate in bytes per second. */
  readonly rate: number;
  readonly etaSeconds?: number;
}

/** Test and debug hooks into a write. */
export interface WriteHooks {
  /** Called for each target after its writes are flushed and closed, before it is read back. */
  readonly afterWrite?: (target: string) => Promise<void> | void;
  /** Called as each write to a target starts, with its offset and (sector-padded) length. */
  readonly onWrite?: (target: string, offset: number, length: number) => void;
  /** Called after a target was discarded to skip zero blocks, before it is checked for zeros (see discard-zeros.ts). */
  readonly afterDiscard?: (target: string) => Promise<void> | void;
}

/** What `writeImage` writes where, and how. */
export interface WriteImageOptions {
  readonly source: ImageSource;
  /** Block devices (/dev/sdX, /dev/loopN) or regular files; each is written with the whole image (or its mapped part). */
  readonly targets: readonly string[];
  /** Read every target back and compare (default true). */
  readonly verify?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: WriteProgress) => void;
  /** Awaited for every target before any byte is written; a rejection fails that target only. */
  readonly preflight?: (target: string, imageSize: number | undefined) => Promise<void>;
  readonly hooks?: WriteHooks;
  /**
   * Write only the blocks this block map lists (and read only those back), checking each range's checksum as the image
   * streams. Its ImageSize must equal the image's. The rest of each target is left as it was.
   */
  readonly bmap?: Bmap;
  /**
   * Skip the image's zero blocks on targets measured to read back zeros after a discard (default true; see
   * discard-zeros.ts). Only with verification on, without a block map, and when the image size is known up front.
   */
  readonly skipZeros?: boolean;
  /** Writes in flight per target (default 4). */
  readonly maxInFlight?: number;
  /**
   * Seeding, per target in `targets` order: the text of macula/system/config.yaml for that target (undefined: the image
   * alone). A seeded target gets a MACULAOS_STATE partition after the image holding it (see seed/target-state.ts),
   * written and read back with the image. A regular-file target's current size is taken as the size of the disk.
   */
  readonly stateConfigs?: readonly (string | undefined)[];
  /**
   * The SHA-256 the image file was verified to have (signed SHA256SUMS, or a hash the user gave): chunk 0 is written
   * only once the file as read here hashed to it, else the write throws ERR_HASH_MISMATCH (see source-digest.ts).
   */
  readonly expectedSha256?: string;
  /**
   * The elevated writer's targets: each path's device number as it validated it. Such a target is opened O_NOFOLLOW
   * and refused (ERR_TARGET_CHANGED) unless the open descriptor is that very block device.
   */
  readonly pinnedDevices?: ReadonlyMap<string, bigint>;
}

/**
 * A target's outcome, as the writer process reports it: declared once, by the protocol's schemas
 * (shared/writer-protocol.ts), so the in-process write and the writer's events cannot drift apart.
 */
export type StateResult = z.infer<typeof stateResultSchema>;
export type TargetResult = z.infer<typeof targetResultSchema>;

/** The outcome of a write: the image's hash and size, and every target's result in the order given. */
export interface WriteImageResult {
  /**
   * SHA-256 of the image; undefined when every target failed before the image was read to its end. An image written
   * out of order (a multi-Block .xz, see place-image.ts) is never read in order while writing: its SHA-256 is that of
   * a verified target's read-back (whose every chunk matched the image's), so it is also undefined when no target
   * verified, and with verification off unless a target was seeded (that one is read back to hash it, no more: the
   * fleet inventory records a seeded node with the image's SHA-256). A raw image written with a block map and no seed
   * is read only where mapped: undefined too (its bmap's range checksums vouch for what was written).
   */
  readonly sha256: string | undefined;
  /** Image bytes read. */
  readonly size: number;
  readonly targets: readonly TargetResult[];
}
