import { open } from 'node:fs/promises';
import { getPartitions } from 'partitioninfo';
import { MaculaError } from '../../../shared/errors';
import { SUPERBLOCK_OFFSET, readSuperblock } from './ext4-superblock';
import { STATE_LABEL } from './state-filesystem';

/** Where a target's MACULAOS_STATE filesystem starts, and which partition holds it. */
export interface StatePartition {
  readonly index: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * Finds the partition whose ext4 label is MACULAOS_STATE on a device or image file, reading only the partition table
 * and each partition's superblock (never mounting). The label is what the OS looks for, so it is what counts here,
 * not the GPT partition name or the MBR type.
 */
export async function findStatePartition(path: string): Promise<StatePartition> {
  let table: Awaited<ReturnType<typeof getPartitions>>;
  try {
    table = await getPartitions(path, { includeExtended: false, getLogical: true });
  } catch (err) {
    throw new MaculaError('ERR_FORMAT_UNKNOWN', `${path} has no readable partition table`, { path }, { cause: err });
  }
  const handle = await open(path, 'r');
  try {
    for (const p of table.partitions) {
      const head = Buffer.alloc(SUPERBLOCK_OFFSET * 2);
      const { bytesRead } = await handle.read(head, 0, head.length, p.offset);
      const sb = readSuperblock(head.subarray(0, bytesRead));
      if (sb.isExt && sb.label === STATE_LABEL) return { index: p.index, offset: p.offset, size: p.size };
    }
  } finally {
    await handle.close();
  }
  throw new MaculaError('ERR_FORMAT_UNKNOWN', `no ${STATE_LABEL} partition on ${path} (was it flashed with a seed?)`, { path });
}
