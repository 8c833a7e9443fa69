import { createHash } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { downloadFileName } from '../../../shared/catalog';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import { type Sha256Sums, lookupSha256 } from '../../../shared/sha256sums';
import { type FetchBytesOptions, fetchBytes } from '../download/fetch-bytes';

/** A block map stored beside a cached image, vouched for by the signed SHA256SUMS. */
export interface FetchedBmap {
  readonly path: string;
}

/** What became of a catalog entry's block map: stored beside the image, or left out (the image is then written whole). */
export type BmapOutcome = { readonly kind: 'stored'; readonly bmap: FetchedBmap } | { readonly kind: 'ignored'; readonly reason: string };

/** Compression suffixes `findSidecarBmap` strips (source/bmap-sidecar.ts): `os.img.xz` also finds `os.img.bmap`. */
const COMPRESSED_SUFFIX = /\.(gz|xz|zst|bz2|zip)$/i;

/**
 * Removes every block map `macula flash` would pick up beside a cached image, so only one checked in this run is
 * ever there (an earlier version stored unsigned ones).
 */
export async function dropSidecarBmaps(imagePath: string): Promise<void> {
  const names = new Set([`${imagePath}.bmap`, `${imagePath.replace(COMPRESSED_SUFFIX, '')}.bmap`]);
  await Promise.all([...names].map((path) => rm(path, { force: true })));
}

/**
 * A catalog entry's `.bmap`, stored as `IMAGE.bmap` beside the cached image (where `macula flash` picks it up) only when
 * the signed SHA256SUMS lists it with a matching hash (else ERR_HASH_MISMATCH: a tampered release). A bmap decides
 * which blocks are written *and* which are read back, so one the signature does not cover could leave blocks out and
 * still be "verified": it is not fetched at all, and the image is written whole.
 */
export async function fetchBmapBeside(imagePath: string, bmapUrl: string, sums: Sha256Sums | undefined, opts: FetchBytesOptions): Promise<BmapOutcome> {
  await dropSidecarBmaps(imagePath);
  const name = downloadFileName({ url: bmapUrl });
  const expected = sums ? entryHash(sums, name) : undefined;
  if (expected === undefined) {
    return { kind: 'ignored', reason: `block map ${name} is not in the signed SHA256SUMS, so it is ignored` };
  }
  const bytes = await fetchBytes(bmapUrl, { ...opts, maxBytes: 64 << 20 });
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) {
    throw new MaculaError('ERR_HASH_MISMATCH', `block map ${name} does not match the signed SHA256SUMS`, { expected, actual, path: name });
  }
  const path = `${imagePath}.bmap`;
  await writeFile(`${path}.part`, bytes);
  await rename(`${path}.part`, path);
  return { kind: 'stored', bmap: { path } };
}

function entryHash(sums: Sha256Sums, name: string): string | undefined {
  try {
    return lookupSha256(sums, name).sha256;
  } catch (e) {
    if (isMaculaError(e, 'ERR_SUMS_NO_ENTRY')) return undefined;
    throw e;
  }
}
