/**
 * Byte signatures of the compressed containers and raw disk layouts an image file can have.
 * Pure functions over the first bytes of a file, so the engine and the UI decide the same way.
 */

/** How an image file is compressed ('none' = raw disk image). */
export type ImageCompression = 'none' | 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'zip';

/** What a raw (uncompressed) image looks like at the start. */
export type ImageLayout = 'iso9660' | 'gpt' | 'mbr' | 'unknown';

/** Bytes a caller should read from the start of a file for `sniffCompression` + `sniffLayout` to decide. */
export const SNIFF_LENGTH = 64 * 1024;

interface Signature<T> {
  readonly kind: T;
  readonly offset: number;
  readonly bytes: readonly number[];
  /** Extra test on the byte after the signature (bzip2's block-size digit). */
  readonly next?: (byte: number) => boolean;
}

const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const isDigit1to9 = (b: number): boolean => b >= 0x31 && b <= 0x39;

const COMPRESSION_SIGNATURES: readonly Signature<Exclude<ImageCompression, 'none'>>[] = [
  { kind: 'gzip', offset: 0, bytes: [0x1f, 0x8b] }, // RFC 1952 §2.3.1 ID1 ID2
  { kind: 'xz', offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] }, // xz file format 1.0.4 §2.1.1.1
  { kind: 'zstd', offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd] }, // RFC 8878 §3.1.1 Magic_Number
  { kind: 'bzip2', offset: 0, bytes: ascii('BZh'), next: isDigit1to9 }, // "BZh" + block size '1'..'9'
  { kind: 'zip', offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04] }, // APPNOTE 6.3.10 §4.3.7 local file header
  { kind: 'zip', offset: 0, bytes: [0x50, 0x4b, 0x05, 0x06] }, // APPNOTE §4.3.16 end of central dir (empty zip)
];

/** Containers we recognise but cannot open; naming them beats "unknown format". */
const UNSUPPORTED_SIGNATURES: readonly Signature<string>[] = [
  { kind: '7z', offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { kind: 'rar', offset: 0, bytes: ascii('Rar!\x1a\x07') },
  { kind: 'lz4', offset: 0, bytes: [0x04, 0x22, 0x4d, 0x18] },
  { kind: 'lzip', offset: 0, bytes: ascii('LZIP') },
];

const LAYOUT_SIGNATURES: readonly Signature<Exclude<ImageLayout, 'unknown'>>[] = [
  // Order matters: hybrid ISOs also carry an MBR, and GPT disks a protective MBR.
  { kind: 'iso9660', offset: 0x8001, bytes: ascii('CD001') }, // ECMA-119 §8.1: first volume descriptor at sector 16
  { kind: 'gpt', offset: 512, bytes: ascii('EFI PART') }, // UEFI 2.10 §5.3.2: GPT header in LBA 1
  { kind: 'mbr', offset: 510, bytes: [0x55, 0xaa] }, // MBR boot signature
];

function matches<T>(head: Uint8Array, sig: Signature<T>): boolean {
  if (head.length < sig.offset + sig.bytes.length + (sig.next ? 1 : 0)) return false;
  for (let i = 0; i < sig.bytes.length; i++) if (head[sig.offset + i] !== sig.bytes[i]) return false;
  const after = head[sig.offset + sig.bytes.length];
  return sig.next === undefined || (after !== undefined && sig.next(after));
}

/** The compression a file's first bytes announce, or 'none' when no known container signature is present. */
export function sniffCompression(head: Uint8Array): ImageCompression {
  return COMPRESSION_SIGNATURES.find((sig) => matches(head, sig))?.kind ?? 'none';
}

/** Name of a recognised but unsupported container (7z, rar, lz4, lzip), if the bytes carry one. */
export function sniffUnsupported(head: Uint8Array): string | undefined {
  return UNSUPPORTED_SIGNATURES.find((sig) => matches(head, sig))?.kind;
}

/** The disk layout of raw image bytes (needs the first 0x8006 bytes to see ISO 9660). */
export function sniffLayout(head: Uint8Array): ImageLayout {
  return LAYOUT_SIGNATURES.find((sig) => matches(head, sig))?.kind ?? 'unknown';
}

const EXTENSION_HINTS: readonly (readonly [string, ImageCompression])[] = [
  ['.iso', 'none'],
  ['.img', 'none'],
  ['.raw', 'none'],
  ['.gz', 'gzip'],
  ['.xz', 'xz'],
  ['.zst', 'zstd'],
  ['.bz2', 'bzip2'],
  ['.zip', 'zip'],
];

/** The compression a file name suggests (a hint only: the bytes decide), or undefined for unknown extensions. */
export function compressionFromName(name: string): ImageCompression | undefined {
  const lower = name.toLowerCase();
  return EXTENSION_HINTS.find(([ext]) => lower.endsWith(ext))?.[1];
}

/** True when a file name carries one of the raw image extensions (.img .iso .raw). */
export function hasImageExtension(name: string): boolean {
  return compressionFromName(name) === 'none';
}
