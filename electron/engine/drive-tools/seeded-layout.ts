import GPT from 'gpt';
import type { BytePatch, StatePartitionPlan } from '../seed/partition-plan';
import { planStatePartition } from '../seed/partition-plan';
import type { OpenedTarget } from '../write/open-target';
import { readSpan } from '../write/read-back';

/**
 * What `macula flash --seed` changed on a target, rebuilt from the image and the target alone: the same planner the
 * flash ran (seed/partition-plan.ts) gives the table sectors it wrote, byte for byte, once the one random input, the
 * GPT entry's partition GUID, is taken from the target itself.
 */
export interface SeededLayout {
  readonly plan: StatePartitionPlan;
  /** The image's own bytes under each table patch inside the image: put back before the image is compared. */
  readonly originals: readonly BytePatch[];
}

/** GPT header fields (UEFI 2.10 §5.3.2, table 5-5): PartitionEntryLBA at 72, SizeOfPartitionEntry at 84. */
const ENTRY_LBA_AT = 72;
const ENTRY_SIZE_AT = 84;
/** UniquePartitionGUID inside an entry (UEFI 2.10 §5.3.3, table 5-6). */
const ENTRY_GUID_AT = 16;

/** The unique GUID of GPT entry `number` (1-based) on the target, or undefined if its primary header is not there. */
async function targetPartitionGuid(target: OpenedTarget, buffer: Buffer, sectorSize: number, number: number): Promise<string | undefined> {
  const header = await readSpan(target, buffer, sectorSize, sectorSize);
  if (header.subarray(0, 8).toString('latin1') !== 'EFI PART') return undefined;
  const entryLba = Number(header.readBigUInt64LE(ENTRY_LBA_AT));
  const entrySize = header.readUInt32LE(ENTRY_SIZE_AT);
  const entry = await readSpan(target, buffer, entryLba * sectorSize + (number - 1) * entrySize, entrySize);
  return entry.length === entrySize ? GPT.GUID.toString(entry, ENTRY_GUID_AT) : undefined;
}

/**
 * The table sectors a seeded flash of this image onto this target wrote. `buffer`: an aligned CHUNK buffer for reads.
 * Throws the planner's errors (the image cannot have been seeded onto this target as it is).
 */
export async function seededLayout(target: OpenedTarget, buffer: Buffer, input: { head: Buffer; imageSize: number; targetSize: number; sectorSize: number }): Promise<SeededLayout> {
  let plan = planStatePartition(input);
  if (plan.table === 'gpt') {
    const partitionGuid = await targetPartitionGuid(target, buffer, input.sectorSize, plan.partitionNumber);
    if (partitionGuid !== undefined) plan = planStatePartition({ ...input, partitionGuid });
  }
  const originals = plan.patches
    .filter((p) => p.offset + p.bytes.length <= input.head.length)
    .map((p) => ({ offset: p.offset, bytes: Buffer.from(input.head.subarray(p.offset, p.offset + p.bytes.length)) }));
  return { plan, originals };
}
