import { randomBytes } from 'node:crypto';
import type { RestoreFs } from '../../../shared/drive-tools';
import { assertNever } from '../../../shared/errors';
import { MBR_MAX_SECTORS, writeMbrEntry } from '../seed/partition-mbr';

/** Where the one partition starts: 1 MiB, as every partitioning tool aligns today. */
export const RESTORE_PARTITION_OFFSET = 1024 * 1024;

/** MBR partition types (UEFI 2.10 §5.2.1; the FAT32-LBA and exFAT/NTFS ids every OS mounts by). */
function mbrType(fs: RestoreFs): number {
  switch (fs) {
    case 'fat32':
      return 0x0c;
    case 'exfat':
      return 0x07;
    default:
      return assertNever(fs);
  }
}

/**
 * Sector 0 of a drive with one primary partition from 1 MiB to its end (up to what an MBR can address): a random disk
 * signature (offset 0x1B8), no boot code, the 0x55AA signature. MBR rather than GPT: every camera, TV and old PC
 * mounts an MBR stick.
 */
export function singlePartitionMbr(size: number, sectorSize: number, fs: RestoreFs): { sector: Buffer; offset: number; size: number } {
  const sector = Buffer.alloc(sectorSize);
  randomBytes(4).copy(sector, 0x1b8);
  const firstLba = RESTORE_PARTITION_OFFSET / sectorSize;
  const sectors = Math.min(Math.floor(size / sectorSize) - firstLba, MBR_MAX_SECTORS);
  writeMbrEntry(sector, 0, { status: 0x00, type: mbrType(fs), firstLba, sectors });
  sector.writeUInt16LE(0xaa55, 0x1fe);
  return { sector, offset: RESTORE_PARTITION_OFFSET, size: sectors * sectorSize };
}
