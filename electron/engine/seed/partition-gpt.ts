import { randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import GPT from 'gpt';
import { MaculaError } from '../../../shared/errors';
import { type BytePatch, mergePatches, placeStatePartition, type StatePartitionPlan, type TablePlanInput } from './partition-layout';
import { isFreeMbrEntry, MBR_MAX_SECTORS, MBR_TYPE_GPT_PROTECTIVE, resizeMbrEntry } from './partition-mbr';

/**
 * Adds the state partition to a GPT image (UEFI 2.10 §5.3): one entry in the first empty slot, the primary header's
 * LastUsableLBA and AlternateLBA moved to the target's end, a new backup table + header there, and the protective
 * (or hybrid) MBR's 0xEE entry stretched over the target.
 *
 * The entry array is patched in place, byte for byte, rather than re-serialized with `gpt`: its `parseTable` drops
 * empty slots (writing back would renumber partitions), reads the 64-bit attributes as a double (xorriso's
 * "RequiredPartition GUID:60" = 2^60 + 1 comes back as 2^60) and checksums at least 16 KiB instead of
 * NumberOfPartitionEntries * SizeOfPartitionEntry bytes (grub-mkrescue writes 176 entries, xorriso 248). `gpt` is used
 * for the header fields and for serializing the one new entry, where it is exact.
 *
 * The image's own backup GPT (at the image's end, inside the written image) is left as it is: nothing reads a header
 * that neither the primary's AlternateLBA nor the last LBA points to (UEFI 2.10 §5.3.2), and leaving it keeps every
 * byte of the image outside sectors 0…FirstUsableLBA identical to the source.
 */

export const GPT_TYPE_LINUX_FILESYSTEM = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const HEADER_MIN_SIZE = 92;
const HEADER_CRC_OFFSET = 16;
const ENTRY_NAME_CHARS = 36;

export interface GptPlanInput extends TablePlanInput {
  readonly head: Buffer;
  readonly name: string;
  readonly partitionGuid?: string;
}

function invalid(message: string, offset?: number): MaculaError {
  return new MaculaError('ERR_PARTITION_TABLE_INVALID', message, offset === undefined ? {} : { offset });
}

/** CRC32 of the first `headerSize` bytes with the HeaderCRC32 field taken as zero (UEFI 2.10 §5.3.2). */
function headerCrc(sector: Buffer, headerSize: number): number {
  const copy = Buffer.from(sector.subarray(0, headerSize));
  copy.writeUInt32LE(0, HEADER_CRC_OFFSET);
  return crc32(copy);
}

function isZero(bytes: Buffer): boolean {
  return bytes.every((b) => b === 0);
}

/** The primary GPT header at LBA 1, checked: signature, size, CRC, MyLBA, entry size and the entry array's CRC. */
function readPrimary(head: Buffer, ss: number): { header: GPT; sector: Buffer; array: Buffer } {
  const sector = Buffer.from(head.subarray(ss, 2 * ss));
  const header = new GPT({ blockSize: ss });
  try {
    if (sector.length < ss) throw new Error(`only ${head.length} bytes of the image given`);
    header.parseHeader(sector);
  } catch (error) {
    throw invalid(`the MBR has a GPT protective (0xEE) entry but LBA 1 holds no GPT header: ${(error as Error).message}`, ss);
  }
  if (header.headerSize < HEADER_MIN_SIZE || header.headerSize > ss) {
    throw invalid(`GPT header size ${header.headerSize} is outside ${HEADER_MIN_SIZE}…${ss}`, ss);
  }
  if (headerCrc(sector, header.headerSize) !== header.headerChecksum) throw invalid('the primary GPT header fails its CRC32', ss);
  if (header.currentLBA !== 1) throw invalid(`the primary GPT header says it is at LBA ${header.currentLBA}, not 1`, ss);
  // UEFI 2.10 §5.3.2: SizeOfPartitionEntry is 128 × 2^n, so no entry straddles a sector.
  const es = header.entrySize;
  if (es < 128 || (es & (es - 1)) !== 0) throw invalid(`GPT entry size ${es} is not 128 × 2^n`, ss);
  const arrayStart = header.tableOffset * ss;
  const arrayBytes = header.entries * es;
  if (arrayStart + arrayBytes > head.length || header.tableOffset < 2) {
    throw invalid(`the GPT entry array (LBA ${header.tableOffset}, ${arrayBytes} bytes) is not within the image's first ${head.length} bytes`, arrayStart);
  }
  const array = Buffer.from(head.subarray(arrayStart, arrayStart + arrayBytes));
  if (crc32(array) !== header.tableChecksum) throw invalid('the GPT partition entry array fails its CRC32', arrayStart);
  return { header, sector, array };
}

function freshGuid(taken: ReadonlySet<string>): string {
  for (;;) {
    const guid = randomUUID().toUpperCase();
    if (!taken.has(guid)) return guid;
  }
}

export function planGptStatePartition(input: GptPlanInput): StatePartitionPlan {
  const ss = input.sectorSize;
  const { header, sector: headerSector, array } = readPrimary(input.head, ss);
  const es = header.entrySize;
  const oldAlternateLba = header.backupLBA;
  const arrayStart = header.tableOffset * ss;

  let freeIndex = -1;
  let occupiedEndLba = 0;
  const taken = new Set([header.guid]);
  for (let i = 0; i < header.entries; i++) {
    const at = i * es;
    if (isZero(array.subarray(at, at + 16))) {
      if (freeIndex < 0) freeIndex = i;
      continue;
    }
    occupiedEndLba = Math.max(occupiedEndLba, Number(array.readBigUInt64LE(at + 40)) + 1);
    taken.add(GPT.GUID.toString(array, at + 16));
  }
  for (const entry of input.mbr) {
    if (!isFreeMbrEntry(entry) && entry.type !== MBR_TYPE_GPT_PROTECTIVE) {
      occupiedEndLba = Math.max(occupiedEndLba, entry.firstLba + entry.sectors);
    }
  }

  const targetSectors = Math.floor(input.targetSize / ss);
  const arraySectors = Math.ceil((header.entries * es) / ss);
  const backupHeaderLba = targetSectors - 1;
  const backupArrayLba = backupHeaderLba - arraySectors;
  const lastUsableLba = backupArrayLba - 1;
  const { firstLba, sectors } = placeStatePartition({
    imageSize: input.imageSize,
    targetSize: input.targetSize,
    sectorSize: ss,
    neededSize: input.neededSize,
    occupiedEndLba: Math.max(occupiedEndLba, header.firstLBA),
    lastUsableLba,
  });
  if (freeIndex < 0) {
    throw new MaculaError('ERR_PARTITION_TABLE_FULL', `all ${header.entries} entries of the image's GPT are in use`);
  }
  // UCS-2: at most 36 code units, none half of a surrogate pair (UEFI 2.10 §5.3.3, PartitionName).
  if (input.name.length > ENTRY_NAME_CHARS || [...input.name].length !== input.name.length) {
    throw new Error(`GPT partition name ${JSON.stringify(input.name)} exceeds ${ENTRY_NAME_CHARS} UCS-2 characters`);
  }
  const guid = input.partitionGuid?.toUpperCase() ?? freshGuid(taken);
  if (taken.has(guid)) throw new Error(`partition GUID ${guid} is already used in the image's GPT`);

  const entryAt = freeIndex * es;
  array.fill(0, entryAt, entryAt + es);
  new GPT.PartitionEntry({
    type: GPT_TYPE_LINUX_FILESYSTEM,
    guid,
    name: input.name,
    firstLBA: firstLba,
    lastLBA: firstLba + sectors - 1,
  }).write(array, entryAt);

  header.tableChecksum = crc32(array);
  header.backupLBA = backupHeaderLba;
  header.lastLBA = lastUsableLba;
  const primary = header.writeHeader(Buffer.from(headerSector));
  header.currentLBA = backupHeaderLba;
  header.backupLBA = 1;
  header.tableOffset = backupArrayLba;
  const backup = Buffer.alloc((arraySectors + 1) * ss);
  array.copy(backup, 0);
  header.writeHeader(Buffer.from(headerSector)).copy(backup, arraySectors * ss);

  // Only the array sector holding the new entry changes; the rest of the primary array is the image's own bytes.
  const entrySector = Math.floor(entryAt / ss) * ss;
  const sectorBytes = Buffer.from(input.head.subarray(arrayStart + entrySector, arrayStart + entrySector + ss));
  array.copy(sectorBytes, 0, entrySector, Math.min(array.length, entrySector + ss));

  const patches: BytePatch[] = [
    { offset: ss, bytes: primary },
    { offset: arrayStart + entrySector, bytes: sectorBytes },
    { offset: backupArrayLba * ss, bytes: backup },
  ];
  const mbrSector = stretchProtectiveEntries(input, targetSectors, oldAlternateLba);
  if (mbrSector !== undefined) patches.push({ offset: 0, bytes: mbrSector });

  return {
    table: 'gpt',
    partitionNumber: freeIndex + 1,
    offset: firstLba * ss,
    size: sectors * ss,
    partitionGuid: guid,
    patches: mergePatches(patches),
  };
}

/**
 * Sector 0 with each 0xEE entry reaching the target's last sector (or 0xFFFFFFFF sectors past 2 TiB, UEFI 2.10
 * §5.2.3), or `undefined` if nothing changes. A hybrid MBR's 0xEE entry that stopped short of the image's backup GPT
 * (gdisk-style: it covers only the GPT area, the other entries mirror GPT partitions) is left as it was.
 */
function stretchProtectiveEntries(input: GptPlanInput, targetSectors: number, oldAlternateLba: number): Buffer | undefined {
  const sector = Buffer.from(input.mbrSector);
  const hybrid = input.mbr.some((e) => !isFreeMbrEntry(e) && e.type !== MBR_TYPE_GPT_PROTECTIVE);
  let changed = false;
  for (const entry of input.mbr) {
    if (entry.type !== MBR_TYPE_GPT_PROTECTIVE || entry.sectors === MBR_MAX_SECTORS) continue;
    const coversOldDisk = entry.firstLba + entry.sectors > oldAlternateLba;
    if (hybrid && !coversOldDisk) continue;
    const sectors = Math.min(targetSectors - entry.firstLba, MBR_MAX_SECTORS);
    if (sectors === entry.sectors) continue;
    resizeMbrEntry(sector, entry.slot, sectors);
    changed = true;
  }
  return changed ? sector : undefined;
}
