import type { MaculaError } from '../../../shared/errors';
import type { Bmap } from '../../../shared/bmap';
import type { TargetFilesystem, TargetState } from '../seed/target-state';
import type { Chunk } from './aligned-chunks';
import type { ChunkDigests } from './place-image';
import { type PreparedTarget, asMaculaError } from './prepare-target';
import type { TargetProgress } from './target-progress';
import type { TargetWriter } from './target-writer';

/** The image bytes a target receives with block map `bmap` (its mapped ranges), for progress and notes. */
export async function mappedBytes(bmap: Bmap): Promise<number> {
  return (await import('../../../shared/bmap')).mappedSize(bmap);
}

/** One target through the whole write: its writer, its progress, what happened to it. */
export interface Lane {
  readonly path: string;
  readonly progress: TargetProgress;
  readonly notes: string[];
  /** The seed for this target's MACULAOS_STATE, if it gets one. */
  readonly stateConfig: string | undefined;
  prepared?: PreparedTarget;
  writer?: TargetWriter;
  /** Built before the image streams: the state filesystem holding the seed. */
  stateFs?: TargetFilesystem;
  /** Planned once the image is read: the state partition, its filesystem, the table edits. */
  state?: TargetState;
  /** Why the target could not be seeded; the image is still written and verified, then the target reports this. */
  stateFailure?: MaculaError;
  /** A failure outside the writer (preflight, open, verification); the writer keeps its own. */
  failure?: MaculaError;
  verified: boolean;
  /** The image's SHA-256 as this target's read-back found it (an image written out of order, see verify-chunks.ts). */
  readSha256?: string;
}

/** The lane's failure: its own, else its writer's (the lowest failing offset). */
export function failureOf(lane: Lane): MaculaError | undefined {
  return lane.failure ?? lane.writer?.failure;
}

export function failLane(lane: Lane, err: unknown): void {
  lane.failure ??= asMaculaError(lane.path, err);
  lane.progress.enter('failed');
}

/** Writers of targets that have not failed. */
export function live(lanes: readonly Lane[]): TargetWriter[] {
  return lanes.flatMap((l) => (l.writer && failureOf(l) === undefined ? [l.writer] : []));
}

export interface Streamed {
  /** Undefined when the image was not read to its end, or was written out of order (then see `digests`). */
  readonly sha256: string | undefined;
  /** Written out of order (place-image.ts): each chunk's SHA-256, for the read-back; undefined if not read to its end. */
  readonly digests?: ChunkDigests | undefined;
  /** Image bytes read. */
  readonly size: number;
  /** Chunk 0, read again at the end to be written last. */
  readonly first: Chunk | undefined;
}
