import { open } from 'node:fs/promises';

/**
 * The volume group an LVM2 physical volume belongs to, read from its own on-disk metadata (lvm2's format_text:
 * lib/format_text/layout.h), so an inactive PV — no device-mapper device yet — is still named. The label sits in one
 * of the first four 512-byte sectors: `LABELONE`, then at +20 the offset of the PV header, at +24 type `LVM2 001`.
 * The PV header is a 32-byte UUID, the device size, then two zero-terminated lists of {offset, size} (u64 LE):
 * data areas, then metadata areas. A metadata area starts with an mda_header (magic ` LVM2 x[5A%r0N*>` at +4,
 * its start at +24, raw locations of {offset, size, checksum, flags} from +40) whose first location is the text of
 * the current metadata, which begins `VGNAME {`.
 */

const SECTOR = 512;
const LABEL_SECTORS = 4;
const LABEL_ID = 'LABELONE';
const LABEL_TYPE = 'LVM2 001';
const MDA_MAGIC = ' LVM2 x[5A%r0N*>';
/** The first lines of the metadata text are enough for the name; the whole text can be megabytes. */
const TEXT_PEEK = 4096;

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await file.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** Offset of the first metadata area named by the label in `head` (the device's first 2 KiB), or undefined. */
export function firstMetadataArea(head: Buffer): number | undefined {
  for (let s = 0; s < LABEL_SECTORS; s++) {
    const label = s * SECTOR;
    if (head.length < label + SECTOR) return undefined;
    if (head.toString('latin1', label, label + 8) !== LABEL_ID || head.toString('latin1', label + 24, label + 32) !== LABEL_TYPE) continue;
    // Past the UUID and the device size: the data areas, then the metadata areas, each list ending in {0, 0}.
    let p = label + head.readUInt32LE(label + 20) + 32 + 8;
    for (let list = 0; list < 2; list++) {
      while (p + 16 <= head.length && (head.readBigUInt64LE(p) !== 0n || head.readBigUInt64LE(p + 8) !== 0n)) {
        if (list === 1) return Number(head.readBigUInt64LE(p));
        p += 16;
      }
      p += 16;
    }
    return undefined;
  }
  return undefined;
}

/** The volume group named by the metadata text's first line (`vg0 {`), or null (a PV in no VG has no text yet). */
export function volumeGroupOfText(text: string): string | null {
  return /^\s*([A-Za-z0-9_.+-]+)\s*\{/.exec(text)?.[1] ?? null;
}

/** The volume group of the LVM2 physical volume at `path` (a block device or an image file), or null. */
export async function lvmVolumeGroup(path: string): Promise<string | null> {
  const mda = firstMetadataArea(await readAt(path, 0, LABEL_SECTORS * SECTOR));
  if (mda === undefined) return null;
  const header = await readAt(path, mda, SECTOR);
  if (header.length < 64 || header.toString('latin1', 4, 20) !== MDA_MAGIC) return null;
  const start = Number(header.readBigUInt64LE(24));
  const offset = Number(header.readBigUInt64LE(40));
  const size = Number(header.readBigUInt64LE(48));
  if (offset === 0 || size === 0) return null;
  return volumeGroupOfText((await readAt(path, start + offset, Math.min(size, TEXT_PEEK))).toString('utf8'));
}
