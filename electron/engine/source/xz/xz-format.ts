/**
 * Byte-level pieces of the .xz container (The .xz File Format 1.0.4): magic bytes,
 * multibyte integers, and wrapping one Block as a standalone single-Block Stream.
 */
import { crc32 } from 'node:zlib';

/** Stream Header and Stream Footer are both 12 bytes (§2.1.1, §2.1.2). */
export const STREAM_HEADER_SIZE = 12;
/** §2.1.2 */
export const STREAM_FOOTER_SIZE = 12;
/** Header Magic Bytes, §2.1.1.1. */
export const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] as const;
/** Footer Magic Bytes "YZ", §2.1.2.4. */
export const FOOTER_MAGIC = [0x59, 0x5a] as const;

/** Rounds up to the next multiple of four: Block Padding (§3.3) and Index Padding (§4.4). */
export function padTo4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}

/** CRC32 as stored in .xz fields (§2.1.1.3): little-endian, over the given bytes. */
export function crc32Of(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}

/**
 * Decodes a multibyte integer (§1.2) at `pos`: 7 bits per byte, least significant first, at most
 * 9 bytes, no trailing zero byte. Returns the value and the position after it, or undefined if invalid.
 */
export function readVli(buf: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    const byte = buf[pos + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (i > 0 && byte === 0) return undefined; // §1.2: encoding must be minimal
      return { value, next: pos + i + 1 };
    }
  }
  return undefined;
}

/** Encodes a multibyte integer (§1.2). */
export function encodeVli(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/**
 * Index (§4) + Stream Footer (§2.1.2) closing a Stream that holds exactly one Block.
 * `streamFlags` are the two Stream Flags bytes of the original Stream Header (§2.1.1.2).
 */
export function singleBlockTrailer(streamFlags: Uint8Array, unpaddedSize: number, uncompressedSize: number): Uint8Array {
  // §4.1 Index Indicator 0x00, §4.2 Number of Records, §4.3 one Record (Unpadded Size, Uncompressed Size).
  const body = [0x00, ...encodeVli(1), ...encodeVli(unpaddedSize), ...encodeVli(uncompressedSize)];
  const indexSize = padTo4(body.length) + 4; // §4.4 Index Padding, §4.5 CRC32
  const out = new Uint8Array(indexSize + STREAM_FOOTER_SIZE);
  out.set(body, 0);
  const view = new DataView(out.buffer);
  view.setUint32(indexSize - 4, crc32Of(out.subarray(0, indexSize - 4)), true);
  // §2.1.2.2 Backward Size = real Index size / 4 - 1; §2.1.2.3 Stream Flags copy the header's.
  const footer = indexSize;
  view.setUint32(footer + 4, indexSize / 4 - 1, true);
  out.set(streamFlags.subarray(0, 2), footer + 8);
  view.setUint32(footer, crc32Of(out.subarray(footer + 4, footer + 10)), true); // §2.1.2.1 CRC32
  out.set(FOOTER_MAGIC, footer + 10);
  return out;
}
