import type { RestoreFs, RestoreResult } from '../../../shared/drive-tools';
import { FAT32_MAX_BYTES, defaultRestoreFs } from '../../../shared/drive-tools';
import { MaculaError } from '../../../shared/errors';
import { formatSize } from '../../../shared/drive';
import { assertWritable } from '../drives/check-target';
import { directIo, ALIGNMENT } from '../write/direct-io';
import { openForWrite, targetKind } from '../write/open-target';
import { unmountDisk } from '../write/unmount';
import { writeError } from '../write/write-errors';
import { readPartitions } from './drive-layout';
import { makeFilesystem } from './make-filesystem';
import { singlePartitionMbr } from './single-partition-mbr';
import { wipeRanges, wipeSignatures } from './wipe-signatures';

/** Inputs of `macula restore`. */
export interface RestoreDriveOptions {
  readonly device: string;
  /** Default: FAT32 up to 32 GiB, exFAT above. */
  readonly fs?: RestoreFs;
  readonly label?: string;
}

export const DEFAULT_RESTORE_LABEL = 'USB';

/**
 * Gives a stick back its everyday shape after a hybrid ISO or a seeded flash: the same target checks as a flash
 * (never a system drive, the drive holding the app, a read-only one), its filesystems unmounted, the old tables and
 * signatures zeroed (wipe-signatures.ts), one MBR partition from 1 MiB to the end, and a FAT32 or exFAT filesystem
 * made by the platform's own tool. Runs in this process: the caller must already hold the rights to write the drive.
 */
export async function restoreDrive(options: RestoreDriveOptions): Promise<RestoreResult> {
  const { device } = options;
  const label = options.label ?? DEFAULT_RESTORE_LABEL;
  const check = await assertWritable(device);
  const size = check.drive.size ?? 0;
  const fs = options.fs ?? defaultRestoreFs(size);
  if (fs === 'fat32' && size > FAT32_MAX_BYTES) {
    throw new MaculaError('ERR_USAGE', `${device} holds ${formatSize(size)}: FAT32 is made up to 32 GiB, use --fs exfat`, { path: device, actual: size, expected: FAT32_MAX_BYTES });
  }
  const kind = await targetKind(device);
  if (kind !== 'block') throw new MaculaError('ERR_TARGET_UNSUPPORTED', `${device} is not a block device: restore formats drives, not files`, { path: device });
  const old = await readPartitions(device);
  const unmounted = await unmountDisk(device);
  const wiped = wipeRanges(size, old);
  let partition: { offset: number; size: number };
  try {
    const target = await openForWrite(device, kind);
    try {
      await wipeSignatures(target, wiped);
      const mbr = singlePartitionMbr(size, target.sectorSize, fs);
      const buffer = directIo.getAlignedBuffer(Math.max(ALIGNMENT, target.sectorSize), ALIGNMENT);
      buffer.fill(0);
      mbr.sector.copy(buffer);
      await target.handle.write(buffer, 0, buffer.length, 0).catch((err: unknown) => {
        throw writeError(device, 0, err);
      });
      await target.handle.sync().catch((err: unknown) => {
        throw writeError(device, undefined, err);
      });
      partition = { offset: mbr.offset, size: mbr.size };
    } finally {
      await target.handle.close();
    }
    await makeFilesystem(device, fs, label);
  } finally {
    await unmounted.release();
  }
  return { device, fs, label, partitionOffset: partition.offset, partitionSize: partition.size, wiped };
}
