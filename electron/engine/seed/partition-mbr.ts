import { MaculaError } from '../../../shared/errors';

/**
 * The four primary entries of a classic MBR (UEFI 2.10 §5.2.1, tables 5-1 and 5-2), read and written byte by byte.
 * The `mbr` package is not used: it picks a "format" (AAP, NEWLDR, DM…) from bytes inside the boot code, which in a
 * hybrid ISO's MBR are arbitrary machine code, and it builds buffers with the deprecated `new Buffer`.
 */

export const MBR_TABLE_OFFSET = 0x1be;
export const MBR_ENTRY_SIZE = 16;
export const MBR_ENTRIES = 4;
const SIGNATURE_OFFSET = 0x1fe;

/** GPT protective entry (UEFI 2.10 §5.2.3). */
export const MBR_TYPE_GPT_PROTECTIVE = 0xee;
/** Linux native filesystem. */
export const MBR_TYPE_LINUX = 0x83;
/** Largest LBA and sector count an MBR entry holds. */
export const MBR_MAX_SECTORS = 0xffffffff;
/** Types of extended containers (DOS, Windows LBA, Linux): their logical partitions are out of scope here. */
const EXTENDED_TYPES: ReadonlySet<number> = new Set([0x05, 0x0f, 0x85]);

/** One primary entry as found in sector 0. */
export interface MbrEntry {
  /** 0-based slot: the partition number is `slot + 1`. */
  readonly slot: number;
  readonly status: number;
  readonly type: number;
  readonly firstLba: number;
  readonly sectors: number;
}

/**
 * The four primary entries, or `undefined` if sector 0 has no 0x55AA signature. Status bytes other than 0x00/0x80
 * mean sector 0 is not an MBR (e.g. a FAT boot sector of a partitionless "superfloppy").
 */
export function readMbr(sector0: Buffer): MbrEntry[] | undefined {
  if (sector0.length < 512 || sector0.readUInt16LE(SIGNATURE_OFFSET) !== 0xaa55) return undefined;
  const entries: MbrEntry[] = [];
  for (let slot = 0; slot < MBR_ENTRIES; slot++) {
    const at = MBR_TABLE_OFFSET + slot * MBR_ENTRY_SIZE;
    const status = sector0.readUInt8(at);
    if (status !== 0x00 && status !== 0x80) {
      throw new MaculaError(
        'ERR_PARTITION_TABLE_INVALID',
        `MBR entry ${slot + 1} has status byte 0x${status.toString(16)} (only 0x00 and 0x80 are valid): sector 0 holds no partition table`,
        { offset: at },
      );
    }
    entries.push({
      slot,
      status,
      type: sector0.readUInt8(at + 4),
      firstLba: sector0.readUInt32LE(at + 8),
      sectors: sector0.readUInt32LE(at + 12),
    });
  }
  return entries;
}

/**
 * A slot is free when it has neither a type nor a size. A type-0x00 entry with a size is in use: Linux (block/partitions
 * /msdos.c) and libfdisk only skip entries of size 0, and Debian-style hybrid ISOs keep the ISO in such an entry.
 */
export function isFreeMbrEntry(entry: MbrEntry): boolean {
  return entry.type === 0 && entry.sectors === 0;
}

export function isExtendedMbrEntry(entry: MbrEntry): boolean {
  return EXTENDED_TYPES.has(entry.type);
}

/**
 * The 3-byte CHS address of `lba` in the 255-head, 63-sector geometry sfdisk assumes, clamped past cylinder 1023 to
 * (1023, 254, 63) = FE FF FF, as sfdisk writes it: every reader of a disk this size uses the LBA fields.
 */
export function chsBytes(lba: number): Buffer {
  const heads = 255;
  const sectorsPerTrack = 63;
  let cylinder = Math.floor(lba / (heads * sectorsPerTrack));
  let head = Math.floor(lba / sectorsPerTrack) % heads;
  let sector = (lba % sectorsPerTrack) + 1;
  if (cylinder > 1023) {
    cylinder = 1023;
    head = heads - 1;
    sector = sectorsPerTrack;
  }
  return Buffer.from([head, (sector & 0x3f) | ((cylinder >> 2) & 0xc0), cylinder & 0xff]);
}

/** Writes entry `slot` of the MBR in `sector0` (in place): status, CHS start/end, type, LBA start and size. */
export function writeMbrEntry(
  sector0: Buffer,
  slot: number,
  entry: { status: number; type: number; firstLba: number; sectors: number },
): void {
  const at = MBR_TABLE_OFFSET + slot * MBR_ENTRY_SIZE;
  sector0.writeUInt8(entry.status, at);
  chsBytes(entry.firstLba).copy(sector0, at + 1);
  sector0.writeUInt8(entry.type, at + 4);
  chsBytes(entry.firstLba + entry.sectors - 1).copy(sector0, at + 5);
  sector0.writeUInt32LE(entry.firstLba, at + 8);
  sector0.writeUInt32LE(entry.sectors, at + 12);
}

/** Sets only the size (and end CHS) of entry `slot`, keeping its status, start CHS, type and start LBA. */
export function resizeMbrEntry(sector0: Buffer, slot: number, sectors: number): void {
  const at = MBR_TABLE_OFFSET + slot * MBR_ENTRY_SIZE;
  const firstLba = sector0.readUInt32LE(at + 8);
  // UEFI 2.10 §5.2.3: the protective entry's EndingCHS is 0xFFFFFF when the last block is not representable;
  // keep that form if the image used it, else write the sfdisk-style clamped address.
  const endChs = sector0.subarray(at + 5, at + 8);
  if (!endChs.equals(Buffer.from([0xff, 0xff, 0xff]))) chsBytes(firstLba + sectors - 1).copy(sector0, at + 5);
  sector0.writeUInt32LE(sectors, at + 12);
}

/** "0x0c, 0x83, …": the types of the used entries, for messages. */
export function describeMbrTypes(entries: readonly MbrEntry[]): string {
  return entries
    .filter((e) => !isFreeMbrEntry(e))
    .map((e) => `0x${e.type.toString(16).padStart(2, '0')}`)
    .join(', ');
}
