import { getPartitions } from 'partitioninfo';
import type { ImageCompression, ImageLayout } from '../../../shared/image-format';
import { sniffLayout } from '../../../shared/image-format';
import type { ProgressListener } from '../../../shared/progress';
import { hashImage } from '../source/extract';
import { openImage } from '../source/open-image';
import { readImageHead } from './read-head';

/** Enough of the image for the partition tables: MBR, GPT header and entries (LBA 0–33), ISO 9660 descriptors. */
const HEAD_BYTES = 4 << 20;

export interface PartitionEntry {
  readonly index: number;
  readonly offset: number;
  readonly size: number;
  /** MBR type byte (e.g. 0x83) or GPT type GUID. */
  readonly type: string;
  readonly name?: string;
}

export interface ImageReport {
  readonly path: string;
  readonly compression: ImageCompression;
  readonly compressedSize: number;
  readonly entryName?: string;
  readonly layout: ImageLayout;
  /** ISO 9660 volume identifier, e.g. `MACULAOS`. */
  readonly volumeId?: string;
  readonly partitionTable?: { readonly type: 'mbr' | 'gpt'; readonly partitions: readonly PartitionEntry[] };
  /** Why no partition table could be read, when none was. */
  readonly partitionNote?: string;
  readonly extracted?: { readonly size: number; readonly sha256: string };
  readonly sizeHint?: number;
}

export interface InspectOptions {
  /** Decompress the whole image to report its size and SHA-256 (default true). */
  readonly hash?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

/** ECMA-119 §8.4.5: the volume identifier, 32 a-characters at byte 40 of the primary volume descriptor (sector 16). */
function isoVolumeId(head: Buffer): string | undefined {
  if (head.length < 0x8000 + 72 || head[0x8000] !== 1) return undefined;
  return head.subarray(0x8000 + 40, 0x8000 + 72).toString('ascii').trim() || undefined;
}

async function readPartitionTable(head: Buffer): Promise<Pick<ImageReport, 'partitionTable' | 'partitionNote'>> {
  try {
    const table = await getPartitions(head, { includeExtended: true, getLogical: true });
    const partitions: PartitionEntry[] =
      table.type === 'gpt'
        ? table.partitions.map((p) => ({ index: p.index, offset: p.offset, size: p.size, type: p.type, name: p.name }))
        : table.partitions.map((p) => ({ index: p.index, offset: p.offset, size: p.size, type: `0x${p.type.toString(16).padStart(2, '0')}` }));
    return { partitionTable: { type: table.type, partitions } };
  } catch (e) {
    return { partitionNote: `no readable partition table (${e instanceof Error ? e.message : String(e)})` };
  }
}

/** What an image file is: container, compression, layout, partition table and (optionally) extracted size + hash. */
export async function inspectImage(path: string, opts: InspectOptions = {}): Promise<ImageReport> {
  const source = await openImage(path);
  const head = await readImageHead(source, HEAD_BYTES, opts.signal);
  const layout = sniffLayout(head);
  const volumeId = layout === 'iso9660' ? isoVolumeId(head) : undefined;
  const tables = await readPartitionTable(head);
  const extracted =
    opts.hash === false
      ? undefined
      : await hashImage(source, {
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        });
  return {
    path,
    compression: source.compression,
    compressedSize: source.compressedSize,
    layout,
    ...tables,
    ...(source.entryName !== undefined ? { entryName: source.entryName } : {}),
    ...(source.sizeHint !== undefined ? { sizeHint: source.sizeHint } : {}),
    ...(volumeId !== undefined ? { volumeId } : {}),
    ...(extracted ? { extracted: { size: extracted.size, sha256: extracted.sha256 } } : {}),
  };
}
