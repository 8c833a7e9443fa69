/**
 * Reads the layout of an .xz file from its end: Stream Footers, Indexes and Stream Headers
 * (The .xz File Format 1.0.4 §2, §4), giving every Block's file offset and sizes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  crc32Of,
  FOOTER_MAGIC,
  HEADER_MAGIC,
  padTo4,
  readVli,
  STREAM_FOOTER_SIZE,
  STREAM_HEADER_SIZE,
} from './xz-format';

/** One Block of an .xz file, with what is needed to decode it on its own. */
export interface XzBlock {
  /** The Stream Header (12 bytes) of the Stream that holds the Block. */
  readonly streamHeader: Uint8Array;
  /** File offset of the Block Header. */
  readonly offset: number;
  /** Block Header + Compressed Data + Check, without Block Padding (§4.3.2). */
  readonly unpaddedSize: number;
  readonly uncompressedSize: number;
}

/** Every Block of every Stream in file order, and the totals. */
export interface XzIndex {
  readonly streams: number;
  readonly blocks: readonly XzBlock[];
  readonly uncompressedSize: number;
}

/** Indexes beyond this (millions of Blocks) are not worth holding in memory; such files are refused. */
const MAX_INDEX_SIZE = 64 << 20;

interface IndexRecord {
  readonly unpaddedSize: number;
  readonly uncompressedSize: number;
}

async function readAt(fh: FileHandle, pos: number, length: number): Promise<Uint8Array | undefined> {
  if (pos < 0) return undefined;
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, pos);
  return bytesRead === length ? buf : undefined;
}

const le32 = (b: Uint8Array, pos: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(pos, true);
const isZero32 = (b: Uint8Array, pos: number): boolean => b[pos] === 0 && b[pos + 1] === 0 && b[pos + 2] === 0 && b[pos + 3] === 0;

/** §2.1.1.2 Stream Flags: first byte zero, only the low nibble (Check Type) of the second may be set. */
const validFlags = (b: Uint8Array, pos: number): boolean => b[pos] === 0 && ((b[pos + 1] ?? 0xff) & 0xf0) === 0;

/** Parses an Index (§4): indicator, record count, records, zero padding, CRC32. */
function parseIndex(index: Uint8Array): IndexRecord[] | undefined {
  if (index[0] !== 0x00) return undefined; // §4.1 Index Indicator
  const count = readVli(index, 1); // §4.2 Number of Records
  if (!count || count.value > index.length / 2) return undefined;
  const records: IndexRecord[] = [];
  let pos = count.next;
  for (let i = 0; i < count.value; i++) {
    const unpadded = readVli(index, pos); // §4.3.1 Unpadded Size
    if (!unpadded || unpadded.value < 5) return undefined;
    const uncompressed = readVli(index, unpadded.next); // §4.3.2 Uncompressed Size
    if (!uncompressed) return undefined;
    records.push({ unpaddedSize: unpadded.value, uncompressedSize: uncompressed.value });
    pos = uncompressed.next;
  }
  for (; pos % 4 !== 0; pos++) if (index[pos] !== 0) return undefined; // §4.4 Index Padding
  if (pos + 4 !== index.length) return undefined;
  return crc32Of(index.subarray(0, pos)) === le32(index, pos) ? records : undefined; // §4.5 CRC32
}

/** Parses the Stream that ends at `end`; returns its Blocks and where it starts. */
async function parseStreamEndingAt(fh: FileHandle, end: number): Promise<{ start: number; blocks: XzBlock[] } | undefined> {
  const footer = await readAt(fh, end - STREAM_FOOTER_SIZE, STREAM_FOOTER_SIZE);
  if (!footer || footer[10] !== FOOTER_MAGIC[0] || footer[11] !== FOOTER_MAGIC[1]) return undefined; // §2.1.2.4
  if (crc32Of(footer.subarray(4, 10)) !== le32(footer, 0) || !validFlags(footer, 8)) return undefined; // §2.1.2.1
  const indexSize = (le32(footer, 4) + 1) * 4; // §2.1.2.2 Backward Size
  const indexPos = end - STREAM_FOOTER_SIZE - indexSize;
  if (indexSize > MAX_INDEX_SIZE || indexPos < STREAM_HEADER_SIZE) return undefined;
  const index = await readAt(fh, indexPos, indexSize);
  const records = index && parseIndex(index);
  if (!records) return undefined;
  const blocksSize = records.reduce((sum, r) => sum + padTo4(r.unpaddedSize), 0);
  const start = indexPos - blocksSize - STREAM_HEADER_SIZE;
  const header = await readAt(fh, start, STREAM_HEADER_SIZE);
  if (!header || !HEADER_MAGIC.every((b, i) => header[i] === b)) return undefined; // §2.1.1.1
  if (crc32Of(header.subarray(6, 8)) !== le32(header, 8)) return undefined; // §2.1.1.3
  if (header[6] !== footer[8] || header[7] !== footer[9]) return undefined; // §2.1.2.3 flags must match
  let offset = start + STREAM_HEADER_SIZE;
  const blocks = records.map((r) => {
    const block = { streamHeader: header, offset, ...r };
    offset += padTo4(r.unpaddedSize); // §3.3 Block Padding
    return block;
  });
  return { start, blocks };
}

/**
 * Walks the file backwards over Streams and Stream Padding (§2.2). Returns undefined for anything
 * that does not check out (truncated, corrupt, not .xz): the streaming decoder then reports the error.
 */
export async function readXzIndex(path: string): Promise<XzIndex | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size % 4 !== 0 || size < STREAM_HEADER_SIZE + STREAM_FOOTER_SIZE) return undefined; // §2.2: sizes are multiples of 4
    const streams: XzBlock[][] = [];
    let end = size;
    while (end > 0) {
      const tail = await readAt(fh, end - 4, 4);
      if (!tail) return undefined;
      if (isZero32(tail, 0)) {
        end -= 4; // §2.2 Stream Padding: null bytes in multiples of four
        continue;
      }
      const stream = await parseStreamEndingAt(fh, end);
      if (!stream) return undefined;
      streams.unshift(stream.blocks);
      end = stream.start;
    }
    if (streams.length === 0) return undefined;
    const blocks = streams.flat();
    return { streams: streams.length, blocks, uncompressedSize: blocks.reduce((sum, b) => sum + b.uncompressedSize, 0) };
  } finally {
    await fh.close();
  }
}
