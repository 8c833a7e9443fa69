import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { downloadFileName } from '../../../shared/catalog';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import { type Sha256Sums, lookupSha256 } from '../../../shared/sha256sums';
import { type FetchBytesOptions, fetchBytes } from '../download/fetch-bytes';

/** A block map stored beside a cached image, and whether the signed SHA256SUMS vouched for it. */
export interface FetchedBmap {
  readonly path: string;
  readonly signed: boolean;
}

/**
 * Fetches a catalog entry's `.bmap` and stores it as `IMAGE.bmap` beside the cached image, where `macula flash` picks
 * it up. When the signed SHA256SUMS lists the bmap its hash must match (else ERR_HASH_MISMATCH); when it does not,
 * the bmap is kept but marked unsigned: its per-range checksums still protect every byte written, but a bmap could
 * leave blocks out.
 */
export async function fetchBmapBeside(imagePath: string, bmapUrl: string, sums: Sha256Sums | undefined, opts: FetchBytesOptions): Promise<FetchedBmap> {
  const bytes = await fetchBytes(bmapUrl, { ...opts, maxBytes: 64 << 20 });
  const name = downloadFileName({ url: bmapUrl });
  let signed = false;
  if (sums) {
    const expected = entryHash(sums, name);
    if (expected !== undefined) {
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== expected) {
        throw new MaculaError('ERR_HASH_MISMATCH', `block map ${name} does not match the signed SHA256SUMS`, { expected, actual, path: name });
      }
      signed = true;
    }
  }
  const path = `${imagePath}.bmap`;
  await writeFile(`${path}.part`, bytes);
  await rename(`${path}.part`, path);
  return { path, signed };
}

function entryHash(sums: Sha256Sums, name: string): string | undefined {
  try {
    return lookupSha256(sums, name).sha256;
  } catch (e) {
    if (isMaculaError(e, 'ERR_SUMS_NO_ENTRY')) return undefined;
    throw e;
  }
}
