import type { PublicKey } from 'openpgp';
import { type CatalogImage, downloadFileName } from '../../../shared/catalog';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import type { ProgressListener } from '../../../shared/progress';
import { type Sha256Sums, lookupSha256 } from '../../../shared/sha256sums';
import { download } from '../download/download';
import type { DownloadResult } from '../download/download-types';
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

/**
 * Downloads an image only once its expected SHA-256 is known from a source the user trusts: the release's
 * SHA256SUMS, whose OpenPGP signature is checked first, or an explicit hash. The hash is checked while the bytes
 * stream in, so only a verified file ever reaches the cache, and only cached files are offered for flashing.
 */
export async function acquireImage(opts: AcquireOptions): Promise<AcquiredImage> {
  const url = opts.origin.kind === 'catalog' ? opts.origin.entry.url : opts.origin.url;
  const fileName = downloadFileName({ url });
  const catalogSha = opts.origin.kind === 'catalog' ? opts.origin.entry.image_download_sha256 : undefined;
  const claimed = opts.sha256?.toLowerCase() ?? catalogSha;
  const sumsUrl = opts.sumsUrl ?? (opts.origin.kind === 'catalog' ? opts.origin.entry.sha256sums_url : undefined);
  const sigUrl = opts.sigUrl ?? (opts.origin.kind === 'catalog' ? opts.origin.entry.sha256sums_sig_url : undefined);
  const fetchOpts = { allowHttp: opts.allowHttp ?? false, ...(opts.ca !== undefined ? { ca: opts.ca } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };

  let expected: string;
  let trust: Trust;
  let signedSums: Sha256Sums | undefined;
  if (sumsUrl !== undefined || sigUrl !== undefined) {
    if (sumsUrl === undefined || sigUrl === undefined) {
      throw new MaculaError('ERR_USAGE', 'SHA256SUMS and its signature go together: give both --sums and --sig');
    }
    const [sums, signature] = await Promise.all([fetchBytes(sumsUrl, fetchOpts), fetchBytes(sigUrl, fetchOpts)]);
    const signed = await verifySignedSums({ sums, signature, keys: opts.keys });
    expected = lookupSha256(signed.sums, fileName).sha256;
    signedSums = signed.sums;
    if (claimed !== undefined && claimed !== expected) {
      throw new MaculaError(
        'ERR_HASH_MISMATCH',
        `${fileName}: the ${opts.sha256 ? 'given' : 'catalog'} SHA-256 ${claimed} differs from the signed SHA256SUMS (${expected})`,
        { expected, actual: claimed, path: fileName },
      );
    }
    trust = { kind: 'signed', signer: signed.signer };
    opts.onSignatureVerified?.(signed.signer, expected);
  } else if (claimed !== undefined) {
    expected = claimed;
    trust = { kind: 'hash' };
  } else {
    throw new MaculaError(
      'ERR_USAGE',
      `nothing to verify ${fileName} against: give --sha256 HASH, or --sums URL --sig URL (an unverified image is never offered for flashing)`,
    );
  }

  const expectedSize = opts.origin.kind === 'catalog' ? opts.origin.entry.image_download_size : undefined;
  const result = await download({
    url,
    cacheDir: opts.cacheDir,
    expectedSha256: expected,
    fileName,
    ...fetchOpts,
    ...(expectedSize !== undefined ? { expectedSize } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const bmapUrl = opts.origin.kind === 'catalog' ? opts.origin.entry.bmap_url : undefined;
  if (bmapUrl === undefined) {
    await dropSidecarBmaps(result.path);
    return { ...result, fileName, trust };
  }
  try {
    const outcome = await fetchBmapBeside(result.path, bmapUrl, signedSums, fetchOpts);
    return outcome.kind === 'stored' ? { ...result, fileName, trust, bmap: outcome.bmap } : { ...result, fileName, trust, bmapProblem: outcome.reason };
  } catch (e) {
    // A bmap that contradicts the signed sums is a tampered release; one that cannot be fetched only costs speed.
    if (isMaculaError(e, 'ERR_HASH_MISMATCH')) throw e;
    return { ...result, fileName, trust, bmapProblem: `no block map (${e instanceof Error ? e.message : String(e)})` };
  }
}
