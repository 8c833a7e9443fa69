import type { PublicKey } from 'openpgp';
import { type CatalogImage, downloadFileName } from '../../../shared/catalog';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import type { ProgressListener } from '../../../shared/progress';
import { type Sha256Sums, lookupSha256 } from '../../../shared/sha256sums';
import { download } from '../download/download';
import type { DownloadOptions, DownloadResult } from '../download/download-types';
import { fetchBytes } from '../download/fetch-bytes';
import type { SignatureCheck } from '../trust/signature';
import { verifySignedSums } from '../trust/verify-release';
import { type FetchedBmap, dropSidecarBmaps, fetchBmapBeside } from './fetch-bmap';

/** Where an image comes from: a catalog entry (which names its signed sums) or a bare URL. */
export type ImageOrigin = { readonly kind: 'catalog'; readonly entry: CatalogImage } | { readonly kind: 'url'; readonly url: string };

export interface AcquireOptions {
  readonly origin: ImageOrigin;
  /** A SHA-256 the user vouches for (`--sha256`). */
  readonly sha256?: string;
  /** SHA256SUMS and its detached signature (URL or path); default: the catalog entry's. */
  readonly sumsUrl?: string;
  readonly sigUrl?: string;
  /** Trusted keys (pinned release key plus the user's keyring). */
  readonly keys: readonly PublicKey[];
  readonly cacheDir: string;
  readonly allowHttp?: boolean;
  readonly ca?: string | Buffer;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** Called once the signature over SHA256SUMS has been checked, before the download starts. */
  readonly onSignatureVerified?: (signer: SignatureCheck, sha256: string) => void;
}

/** How far an acquired image is trusted: by a signed SHA256SUMS, or by a hash the user gave. */
export type Trust = { readonly kind: 'signed'; readonly signer: SignatureCheck } | { readonly kind: 'hash' };

export interface AcquiredImage extends DownloadResult {
  readonly fileName: string;
  readonly trust: Trust;
  /** The catalog entry's block map, stored beside the image once the signed SHA256SUMS vouched for it. */
  readonly bmap?: FetchedBmap;
  /** Why the catalog entry's block map is not used: not in the signed sums, or not fetched (the image is written whole). */
  readonly bmapProblem?: string;
}

/** What an image must be, known before any of it is downloaded: its signed (or given) SHA-256 and where it comes from. */
export interface Expectation {
  readonly url: string;
  readonly fileName: string;
  readonly expected: string;
  readonly trust: Trust;
  readonly signedSums: Sha256Sums | undefined;
  readonly expectedSize: number | undefined;
  readonly fetchOpts: { readonly allowHttp: boolean; readonly ca?: string | Buffer; readonly signal?: AbortSignal };
}

/**
 * Downloads an image only once its expected SHA-256 is known from a source the user trusts: the release's
 * SHA256SUMS, whose OpenPGP signature is checked first, or an explicit hash. The hash is checked while the bytes
 * stream in, so only a verified file ever reaches the cache, and only cached files are offered for flashing.
 */
export async function acquireImage(opts: AcquireOptions): Promise<AcquiredImage> {
  const expectation = await findExpectation(opts);
  const result = await download(downloadOptions(opts, expectation));
  return withBmap(opts, expectation, result);
}

/** The download of `expectation`, as `download` and a streaming flash take it. */
export function downloadOptions(opts: AcquireOptions, e: Expectation): DownloadOptions {
  return {
    url: e.url,
    cacheDir: opts.cacheDir,
    expectedSha256: e.expected,
    fileName: e.fileName,
    ...e.fetchOpts,
    ...(e.expectedSize !== undefined ? { expectedSize: e.expectedSize } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
}

/** Checks the signature over SHA256SUMS (or takes the given hash): what the image must hash to, before any download. */
export async function findExpectation(opts: AcquireOptions): Promise<Expectation> {
  const url = opts.origin.kind === 'catalog' ? opts.origin.entry.url : opts.origin.url;
  const fileName = downloadFileName({ url });
  const catalogSha = opts.origin.kind === 'catalog' ? opts.origin.entry.image_download_sha256 : undefined;
  const claimed = opts.sha256?.toLowerCase() ?? catalogSha;
  const sumsUrl = opts.sumsUrl ?? (opts.origin.kind === 'catalog' ? opts.origin.entry.sha256sums_url : undefined);
  const sigUrl = opts.sigUrl ?? (opts.origin.kind === 'catalog' ? opts.origin.entry.sha256sums_sig_url : undefined);
  const fetchOpts = { allowHttp: opts.allowHttp ?? false, ...(opts.ca !== undefined ? { ca: opts.ca } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  const expectedSize = opts.origin.kind === 'catalog' ? opts.origin.entry.image_download_size : undefined;

  if (sumsUrl !== undefined || sigUrl !== undefined) {
    if (sumsUrl === undefined || sigUrl === undefined) {
      throw new MaculaError('ERR_USAGE', 'SHA256SUMS and its signature go together: give both --sums and --sig');
    }
    const [sums, signature] = await Promise.all([fetchBytes(sumsUrl, fetchOpts), fetchBytes(sigUrl, fetchOpts)]);
    const signed = await verifySignedSums({ sums, signature, keys: opts.keys });
    const expected = lookupSha256(signed.sums, fileName).sha256;
    if (claimed !== undefined && claimed !== expected) {
      throw new MaculaError(
        'ERR_HASH_MISMATCH',
        `${fileName}: the ${opts.sha256 ? 'given' : 'catalog'} SHA-256 ${claimed} differs from the signed SHA256SUMS (${expected})`,
        { expected, actual: claimed, path: fileName },
      );
    }
    opts.onSignatureVerified?.(signed.signer, expected);
    return { url, fileName, expected, trust: { kind: 'signed', signer: signed.signer }, signedSums: signed.sums, expectedSize, fetchOpts };
  }
  if (claimed !== undefined) return { url, fileName, expected: claimed, trust: { kind: 'hash' }, signedSums: undefined, expectedSize, fetchOpts };
  throw new MaculaError(
    'ERR_USAGE',
    `nothing to verify ${fileName} against: give --sha256 HASH, or --sums URL --sig URL (an unverified image is never offered for flashing)`,
  );
}

/** The catalog entry's block map, or why there is none to use. */
export type EntryBmap = Pick<AcquiredImage, 'bmap' | 'bmapProblem'>;

/**
 * Stores the catalog entry's block map beside `imagePath` (the image's place in the cache, whether or not the image is
 * there yet) when the signed sums vouch for it, and drops any other found there. Throws only for a tampered one.
 */
export async function entryBmap(opts: AcquireOptions, e: Expectation, imagePath: string): Promise<EntryBmap> {
  const bmapUrl = opts.origin.kind === 'catalog' ? opts.origin.entry.bmap_url : undefined;
  if (bmapUrl === undefined) {
    await dropSidecarBmaps(imagePath);
    return {};
  }
  try {
    const outcome = await fetchBmapBeside(imagePath, bmapUrl, e.signedSums, e.fetchOpts);
    return outcome.kind === 'stored' ? { bmap: outcome.bmap } : { bmapProblem: outcome.reason };
  } catch (err) {
    // A bmap that contradicts the signed sums is a tampered release; one that cannot be fetched only costs speed.
    if (isMaculaError(err, 'ERR_HASH_MISMATCH')) throw err;
    return { bmapProblem: `no block map (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** The cached image with the catalog entry's block map stored beside it (when the signed sums vouch for it). */
export async function withBmap(opts: AcquireOptions, e: Expectation, result: DownloadResult): Promise<AcquiredImage> {
  return { ...result, fileName: e.fileName, trust: e.trust, ...(await entryBmap(opts, e, result.path)) };
}
