import { MaculaError, isMaculaError } from '../../../shared/errors';
import { planGptStatePartition } from './partition-gpt';
import {
  type BytePatch,
  DEFAULT_STATE_MIN_SIZE,
  MiB,
  placeStatePartition,
  STATE_PARTITION_ALIGNMENT,
  STATE_PARTITION_NAME,
  type StatePartitionPlan,
  type TablePlanInput,
} from './partition-layout';
import {
  describeMbrTypes,
  isExtendedMbrEntry,
  isFreeMbrEntry,
  MBR_MAX_SECTORS,
  MBR_TYPE_GPT_PROTECTIVE,
  MBR_TYPE_LINUX,
  readMbr,
  writeMbrEntry,
} from './partition-mbr';

/**
 * Plans the MACULAOS_STATE partition of a target as byte patches, without any device I/O (ARCHITECTURE.md, "Formats
 * and protocols"; issue 4 item 2). The writer writes the image, then the state filesystem at `offset`, then the
 * patches, and verifies all three on read-back.
 */

export type { BytePatch, StatePartitionPlan } from './partition-layout';

export interface StatePartitionOptions {
  /** The image's first bytes as written (1 MiB holds every MBR and GPT primary table seen in practice). */
  readonly head: Buffer;
  /**
   * The image's last bytes (where its backup GPT sits). Accepted but not needed: a valid primary GPT is authoritative
   * (UEFI 2.10 §5.3.2) and the new backup is built from it; a damaged primary is refused, not repaired.
   */
  readonly tail?: Buffer;
  readonly imageSize: number;
  readonly targetSize: number;
  /** Logical sector size of the target: 512 or 4096. */
  readonly sectorSize?: number;
  /** Smallest acceptable partition; 64 MiB. */
  readonly minSize?: number;
  /** Bytes of the state filesystem written at the partition's start; 64 MiB. No patch lands inside them. */
  readonly stateImageSize?: number;
  /** GPT only: the new entry's partition GUID (tests); a fresh random one otherwise. */
  readonly partitionGuid?: string;
}

/**
 * Where the state partition goes and the exact bytes that add it to the image's table: MBR (including hybrid ISO MBRs)
 * or GPT (protective or hybrid MBR). Throws ERR_NO_ROOM_FOR_STATE, ERR_PARTITION_TABLE_FULL or
 * ERR_PARTITION_TABLE_INVALID; the image can then still be written as it is.
 */
export function planStatePartition(options: StatePartitionOptions): StatePartitionPlan {
  const ss = options.sectorSize ?? 512;
  const stateImageSize = options.stateImageSize ?? DEFAULT_STATE_MIN_SIZE;
  const neededSize = Math.max(options.minSize ?? DEFAULT_STATE_MIN_SIZE, stateImageSize);
  if (ss !== 512 && ss !== 4096) throw new MaculaError('ERR_TARGET_UNSUPPORTED', `sector size ${ss} is not 512 or 4096`);
  if (options.targetSize < options.imageSize) {
    throw new MaculaError('ERR_TARGET_TOO_SMALL', `the target (${options.targetSize} bytes) is smaller than the image (${options.imageSize} bytes)`, {
      expected: options.imageSize,
      actual: options.targetSize,
    });
  }
  if (options.head.length < Math.min(MiB, options.imageSize)) {
    throw new Error(`planStatePartition needs the image's first ${MiB} bytes (or all of a smaller image), got ${options.head.length}`);
  }
  const mbrSector = Buffer.from(options.head.subarray(0, ss));
  const mbr = readMbr(mbrSector);
  if (mbr === undefined) {
    throw new MaculaError('ERR_PARTITION_TABLE_INVALID', 'the image has no partition table (no 0x55AA signature in sector 0)', { offset: 0x1fe });
  }
  const common = { imageSize: options.imageSize, targetSize: options.targetSize, sectorSize: ss, neededSize };
  let plan: StatePartitionPlan;
  if (mbr.some((e) => e.type === MBR_TYPE_GPT_PROTECTIVE)) {
    plan = planGptStatePartition({
      ...common,
      head: options.head,
      mbrSector,
      mbr,
      name: STATE_PARTITION_NAME,
      ...(options.partitionGuid !== undefined ? { partitionGuid: options.partitionGuid } : {}),
    });
  } else {
    plan = planMbrStatePartition({ ...common, mbrSector, mbr, stateImageSize });
  }
  assertPatchesClear(plan, stateImageSize, ss);
  return plan;
}

/** Bytes a standard backup GPT takes at a disk's end: 128 entries of 128 bytes, then the header sector. */
const GPT_BACKUP_BYTES = 128 * 128 + 512;

interface MbrPlanInput extends TablePlanInput {
  readonly stateImageSize: number;
}

/**
 * A primary 0x83 entry in the first free slot. Extended/logical partitions are out of scope: with four used slots the
 * plan is refused. An extended container present elsewhere is simply stepped over, like any partition.
 */
function planMbrStatePartition(input: MbrPlanInput): StatePartitionPlan {
  const ss = input.sectorSize;
  const used = input.mbr.filter((e) => !isFreeMbrEntry(e));
  const targetSectors = Math.floor(input.targetSize / ss);
  const place = (lastUsableLba: number): { firstLba: number; sectors: number } =>
    placeStatePartition({
      ...input,
      occupiedEndLba: Math.max(1, ...used.map((e) => e.firstLba + e.sectors)),
      lastUsableLba,
      maxSectors: MBR_MAX_SECTORS,
    });
  // The partition ends on the last 1 MiB boundary that leaves room for a backup GPT, as gdisk wants of an MBR disk it
  // could convert (`sgdisk -v` flags a last partition over those sectors); on a target with just the minimum free it
  // runs to the end instead. The node grows it on first boot either way.
  const alignSectors = STATE_PARTITION_ALIGNMENT / ss;
  const reservedEnd = Math.floor((targetSectors - Math.ceil(GPT_BACKUP_BYTES / ss)) / alignSectors) * alignSectors - 1;
  let placed: { firstLba: number; sectors: number };
  try {
    placed = place(reservedEnd);
  } catch (err) {
    if (!isMaculaError(err, 'ERR_NO_ROOM_FOR_STATE')) throw err;
    placed = place(targetSectors - 1);
  }
  const { firstLba, sectors } = placed;
  const slot = input.mbr.find(isFreeMbrEntry)?.slot;
  if (slot === undefined) {
    const extended = used.some(isExtendedMbrEntry) ? ' (one is an extended partition)' : '';
    throw new MaculaError(
      'ERR_PARTITION_TABLE_FULL',
      `all four primary MBR entries of the image are in use (types ${describeMbrTypes(input.mbr)})${extended}; ` +
        'adding the state partition as a logical partition is not supported',
    );
  }
  if (firstLba > MBR_MAX_SECTORS) {
    throw new MaculaError('ERR_TARGET_UNSUPPORTED', `the state partition would start at sector ${firstLba}, past what an MBR can address`);
  }
  const sector0 = Buffer.from(input.mbrSector);
  writeMbrEntry(sector0, slot, { status: 0x00, type: MBR_TYPE_LINUX, firstLba, sectors });
  const patches: BytePatch[] = [{ offset: 0, bytes: sector0 }];
  // A stick that once held a GPT keeps its backup header in its last sector; on an MBR disk gdisk/parted would still
  // find it. Zero it when it lies past the state filesystem (inside the new partition's still unused space).
  const lastSector = (targetSectors - 1) * ss;
  if (lastSector >= firstLba * ss + input.stateImageSize) {
    patches.push({ offset: lastSector, bytes: Buffer.alloc(ss) });
  }
  return { table: 'mbr', partitionNumber: slot + 1, offset: firstLba * ss, size: sectors * ss, patches };
}

/** Internal check: every patch is whole sectors and none touches the state filesystem's bytes. */
function assertPatchesClear(plan: StatePartitionPlan, stateImageSize: number, ss: number): void {
  for (const patch of plan.patches) {
    const end = patch.offset + patch.bytes.length;
    if (patch.offset % ss !== 0 || patch.bytes.length % ss !== 0) throw new Error(`patch at ${patch.offset} is not sector-aligned`);
    if (patch.offset < plan.offset + stateImageSize && end > plan.offset) {
      throw new Error(`patch at ${patch.offset} overlaps the state filesystem at ${plan.offset}`);
    }
  }
}
