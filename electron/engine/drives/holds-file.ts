import { stat } from 'node:fs/promises';
import type { Drive } from '../../../shared/drive';
import { assertNever } from '../../../shared/errors';
import { blockNameOfNode, diskOf, disksHoldingFile, loopBackingFile } from './block-sysfs';

async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a, { bigint: true }), stat(b, { bigint: true })]);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Whether writing the drive would overwrite `filePath`: the file lives on that disk (a filesystem on the disk or one of
 * its partitions, also through device-mapper, md or a loop device stacked on it), or the drive is a loop device whose
 * backing file is `filePath`, or the drive is a file target that is `filePath` itself.
 *
 * A loop device backed by *another* file on the same disk as `filePath` does not hold it: writing the loop changes
 * only its backing file. `filePath` must exist.
 */
export async function driveHoldsFile(drive: Drive, filePath: string): Promise<boolean> {
  switch (drive.kind) {
    case 'file':
      return sameFile(drive.device, filePath);
    case 'disk': {
      const name = await blockNameOfNode(drive.device);
      if (name === undefined) return false;
      const disk = await diskOf(name);
      const backing = await loopBackingFile(disk);
      if (backing !== undefined && (await sameFile(backing, filePath).catch(() => false))) return true;
      return (await disksHoldingFile(filePath)).has(disk);
    }
    default:
      return assertNever(drive.kind);
  }
}
