import { getPartitions } from 'partitioninfo';
import type { DriveRegion } from '../../../shared/drive-tools';

/** One partition of a drive's table, numbered as Linux numbers it (`/dev/sdX2` is 2). */
export interface DrivePartition {
  readonly number: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * The partitions of a drive or image file from its MBR or GPT (logical partitions included), or an empty list when it
 * has no readable table (a blank stick, a bare filesystem).
 */
export async function readPartitions(path: string): Promise<DrivePartition[]> {
  try {
    const table = await getPartitions(path, { includeExtended: false, getLogical: true });
    return table.partitions.map((p) => ({ number: p.index, offset: p.offset, size: p.size })).sort((a, b) => a.offset - b.offset);
  } catch {
    return [];
  }
}

/** One past the last byte any partition claims: what `clone` reads by default. Undefined without partitions. */
export function endOfLastPartition(partitions: readonly DrivePartition[]): number | undefined {
  if (partitions.length === 0) return undefined;
  return Math.max(...partitions.map((p) => p.offset + p.size));
}

/** The region `offset` lies in: a table sector, the state partition, another partition, or none of them. */
export function regionOf(
  offset: number,
  layout: { readonly partitions: readonly DrivePartition[]; readonly tableSectors: readonly { offset: number; length: number }[]; readonly statePartition?: number },
): DriveRegion {
  if (layout.tableSectors.some((t) => offset >= t.offset && offset < t.offset + t.length)) return { kind: 'table' };
  const p = layout.partitions.find((q) => offset >= q.offset && offset < q.offset + q.size);
  if (p === undefined) return { kind: 'outside' };
  return p.number === layout.statePartition ? { kind: 'state', partition: p.number } : { kind: 'partition', partition: p.number };
}
