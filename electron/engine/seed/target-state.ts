import { randomUUID } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import { type BytePatch, type StatePartitionPlan, planStatePartition } from './partition-plan';
import type { SparseBytes } from './sparse-bytes';
import { buildSparseStateFilesystem } from './state-filesystem';

/**
 * Everything one target of a seeded flash gets beyond the image: the MACULAOS_STATE partition (planned from the
 * image's head once its size is known) and its filesystem holding that target's seed (built before). The writer writes the filesystem
 * and the table sectors past the image first, and the image's first chunk, patched, last.
 */
export interface TargetState {
  readonly plan: StatePartitionPlan;
  /** Bytes of the target: nothing is written past them. */
  readonly targetSize: number;
  /** The new filesystem's UUID (each target its own). */
  readonly uuid: string;
  /** The filesystem to write at `plan.offset`. */
  readonly filesystem: SparseBytes;
  /** Table patches inside the image's head: applied to that target's copy of the first chunk. */
  readonly headPatches: readonly BytePatch[];
  /** What the image holds under each head patch (same offsets): the read-back puts it back before hashing. */
  readonly originals: readonly BytePatch[];
  /** Table patches past the end of the image (the backup GPT, a stale last sector), written before the head. */
  readonly tailPatches: readonly BytePatch[];
}

/** A target's state filesystem, built before its partition is planned: it depends on the seed alone. */
export interface TargetFilesystem {
  /** The new filesystem's UUID (each target its own). */
  readonly uuid: string;
  /** Its non-zero blocks (see sparse-bytes.ts). */
  readonly filesystem: SparseBytes;
}

/**
 * Builds one target's filesystem holding `configYaml` (its seed, as written to macula/system/config.yaml) with a fresh
 * UUID. A writer builds it before the image streams, while its chunk buffers are not yet allocated: libext2fs's
 * WebAssembly heap is then used at the flash's lowest memory, not on top of its highest.
 */
export async function buildTargetFilesystem(configYaml: string): Promise<TargetFilesystem> {
  const uuid = randomUUID();
  return { uuid, filesystem: await buildSparseStateFilesystem({ configYaml, uuid }) };
}

export interface TargetStateInput {
  /** This target's filesystem (buildTargetFilesystem). */
  readonly filesystem: TargetFilesystem;
  /** The image's first chunk as read (every table patch of the image must fall inside it). */
  readonly head: Buffer;
  readonly imageSize: number;
  readonly targetSize: number;
  /** Logical sector size the tables are written for: the device's, 512 for a regular file. */
  readonly sectorSize: number;
}

/**
 * Plans the partition for one target's filesystem. Throws ERR_NO_ROOM_FOR_STATE and the planner's other refusals (the
 * image can still be written as it is), or ERR_PARTITION_TABLE_INVALID for a table whose sectors lie past the image's
 * first chunk (not met in practice: GPT entry arrays start at LBA 2).
 */
export function planTargetState(input: TargetStateInput): TargetState {
  const { head, imageSize } = input;
  const plan = planStatePartition({ head, imageSize, targetSize: input.targetSize, sectorSize: input.sectorSize });
  const headPatches: BytePatch[] = [];
  const tailPatches: BytePatch[] = [];
  for (const patch of plan.patches) {
    const end = patch.offset + patch.bytes.length;
    if (end <= head.length) headPatches.push(patch);
    else if (patch.offset >= imageSize) tailPatches.push(patch);
    else {
      throw new MaculaError(
        'ERR_PARTITION_TABLE_INVALID',
        `the image's partition table has sectors at byte ${patch.offset}, past its first ${head.length} bytes: not supported for seeding`,
        { offset: patch.offset },
      );
    }
  }
  const originals = headPatches.map((p) => ({ offset: p.offset, bytes: Buffer.from(head.subarray(p.offset, p.offset + p.bytes.length)) }));
  const { uuid, filesystem } = input.filesystem;
  return { plan, targetSize: input.targetSize, uuid, filesystem, headPatches, originals, tailPatches };
}
