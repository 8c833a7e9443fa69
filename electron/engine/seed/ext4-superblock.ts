/**
 * The few ext4 superblock fields the seeder reads or changes, per the ext4 disk layout
 * (https://docs.kernel.org/filesystems/ext4/super.html, "Super Block"): offsets are from the superblock's start,
 * which is 1024 bytes into the filesystem.
 */

/** Byte offset of the primary superblock inside the filesystem. */
export const SUPERBLOCK_OFFSET = 1024;
const SUPERBLOCK_SIZE = 1024;

const S_MAGIC = 0x38; // le16, 0xEF53
const S_FEATURE_INCOMPAT = 0x60; // le32
const S_FEATURE_RO_COMPAT = 0x64; // le32
const S_UUID = 0x68; // u8[16]
const S_VOLUME_NAME = 0x78; // char[16]
const S_CHECKSUM = 0x3fc; // le32, crc32c of the superblock up to this field

const EXT4_MAGIC = 0xef53;
/** INCOMPAT_CSUM_SEED: metadata checksums are seeded from s_checksum_seed (0x270), not from s_uuid. */
const INCOMPAT_CSUM_SEED = 0x2000;
/** RO_COMPAT_METADATA_CSUM: the superblock and all metadata carry crc32c checksums. */
const RO_COMPAT_METADATA_CSUM = 0x400;

/** Table of CRC-32C (Castagnoli, reflected polynomial 0x82F63B78; RFC 3720 §B.4), the checksum ext4 uses. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Raw CRC-32C update, without the final inversion (ext4's `ext4_chksum` and libext2fs's `ext2fs_crc32c_le`). */
export function crc32cRaw(seed: number, bytes: Uint8Array): number {
  let crc = seed >>> 0;
  for (const byte of bytes) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return crc >>> 0;
}

function superblock(fs: Buffer): Buffer {
  return fs.subarray(SUPERBLOCK_OFFSET, SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE);
}

/** What the seeder needs to know about an ext4 filesystem before touching it. */
export interface SuperblockInfo {
  readonly isExt: boolean;
  readonly label: string;
  readonly uuid: string;
  readonly checksumSeeded: boolean;
  readonly metadataCsum: boolean;
}

export function readSuperblock(fs: Buffer): SuperblockInfo {
  const sb = superblock(fs);
  if (sb.length < SUPERBLOCK_SIZE) return { isExt: false, label: '', uuid: '', checksumSeeded: false, metadataCsum: false };
  const name = sb.subarray(S_VOLUME_NAME, S_VOLUME_NAME + 16);
  const end = name.indexOf(0);
  return {
    isExt: sb.readUInt16LE(S_MAGIC) === EXT4_MAGIC,
    label: name.subarray(0, end < 0 ? 16 : end).toString('utf8'),
    uuid: formatUuid(sb.subarray(S_UUID, S_UUID + 16)),
    checksumSeeded: (sb.readUInt32LE(S_FEATURE_INCOMPAT) & INCOMPAT_CSUM_SEED) !== 0,
    metadataCsum: (sb.readUInt32LE(S_FEATURE_RO_COMPAT) & RO_COMPAT_METADATA_CSUM) !== 0,
  };
}

/**
 * Gives the filesystem in `fs` a new UUID, in place: s_uuid and the superblock checksum, nothing else. Valid only with
 * metadata_csum_seed (every other checksum is seeded from s_checksum_seed), as `tune2fs -U` does on a mounted
 * filesystem. The template has a single block group, hence no backup superblocks; libext2fs rewrites any it finds
 * when it closes the filesystem.
 */
export function setSuperblockUuid(fs: Buffer, uuid: string): void {
  const sb = superblock(fs);
  parseUuid(uuid).copy(sb, S_UUID);
  sb.writeUInt32LE(crc32cRaw(0xffffffff, sb.subarray(0, S_CHECKSUM)), S_CHECKSUM);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

function parseUuid(uuid: string): Buffer {
  if (!isUuid(uuid)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
