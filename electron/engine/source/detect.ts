import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { MaculaError } from '../../../shared/errors';
import {
  compressionFromName,
  sniffCompression,
  sniffLayout,
  sniffUnsupported,
  SNIFF_LENGTH,
  type ImageCompression,
  type ImageLayout,
} from '../../../shared/image-format';
import { ioError } from './archive-error';
import { readGrowing } from './growing-file';

/** What an image file's bytes say it is. */
export interface DetectedFormat {
  readonly compression: ImageCompression;
  /** Disk layout, for raw (uncompressed) images only. */
  readonly layout?: ImageLayout;
  /** Set when the file name suggests another format than the bytes; the bytes win. */
  readonly note?: string;
}

async function readHead(path: string): Promise<Uint8Array> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(SNIFF_LENGTH);
      // A file still being downloaded may not hold its head yet (growing-file.ts).
      let filled = 0;
      for (let n = -1; n !== 0 && filled < SNIFF_LENGTH; filled += n) n = await readGrowing(fh, path, buf, filled, SNIFF_LENGTH - filled, filled);
      return buf.subarray(0, filled);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw ioError(path, err);
  }
}

const describe = (c: ImageCompression): string => (c === 'none' ? 'a raw image' : `${c} data`);

/**
 * Decides an image file's compression (and, for raw images, its layout) from its first 64 KiB.
 * The extension is only a hint: a mismatch is reported in `note`. A file whose name promises
 * compression but whose bytes show neither a container signature nor a disk layout is refused.
 */
export async function detectImageFormat(path: string): Promise<DetectedFormat> {
  const head = await readHead(path);
  if (head.length === 0) throw new MaculaError('ERR_FORMAT_UNKNOWN', `${path} is empty`, { path });
  const unsupported = sniffUnsupported(head);
  if (unsupported !== undefined) {
    throw new MaculaError('ERR_ARCHIVE_UNSUPPORTED', `${path} is a ${unsupported} archive, which is not supported`, { path, actual: unsupported });
  }
  const compression = sniffCompression(head);
  const layout = compression === 'none' ? sniffLayout(head) : undefined;
  const name = basename(path);
  const hinted = compressionFromName(name);
  if (compression === 'none' && layout === 'unknown' && hinted !== undefined && hinted !== 'none') {
    throw new MaculaError('ERR_FORMAT_UNKNOWN', `${path} is named like ${hinted} data but has no ${hinted} signature and no known disk layout`, {
      path,
      expected: hinted,
    });
  }
  const note = hinted !== undefined && hinted !== compression ? `${name} is named like ${describe(hinted)} but contains ${describe(compression)}; going by the content` : undefined;
  return { compression, ...(layout !== undefined ? { layout } : {}), ...(note !== undefined ? { note } : {}) };
}
