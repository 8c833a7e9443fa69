import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MaculaError } from '../../../shared/errors';
import {
  assertSafeFileName,
  cachedFilePath,
  cachedSize,
  fileNameFromUrl,
  normalizeSha256,
  sha256Hex,
} from './cache-layout';
import { downloadAttempt, type AttemptContext, type AttemptResult, type BodyStart } from './download-attempt';
import type { DownloadOptions, DownloadResult } from './download-types';
import { discardPartial, partialPaths, type PartialPaths } from './partial-state';
import { backoffMs, isRetryable, sleep } from './retry';
import { assertFetchableUrl, parseUrl, displayUrl } from './url-policy';

export type { DownloadOptions, DownloadResult } from './download-types';

/**
 * Downloads `opts.url` into the content-addressed cache, resuming interrupted transfers with Range/If-Range
 * (RFC 9110 §14.2, §13.1.5) and hashing while streaming. Only a complete file whose size and hash match what
 * was expected ever reaches `<cacheDir>/sha256/<hex>/<fileName>`.
 */
export async function download(opts: DownloadOptions): Promise<DownloadResult> {
  const cached = await cachedDownload(opts);
  if (cached) return cached;
  return (await downloadPartial(opts)).commit();
}

/** The file already in the cache for `opts.expectedSha256` (no request is made), if there is one. */
export async function cachedDownload(opts: DownloadOptions): Promise<DownloadResult | undefined> {
  if (opts.expectedSha256 === undefined) return undefined;
  const url = parseUrl(opts.url);
  assertFetchableUrl(url, opts.allowHttp ?? false);
  const expectedSha256 = normalizeSha256(opts.expectedSha256);
  const path = cachedFilePath(opts.cacheDir, expectedSha256, nameOf(opts, url));
  const size = await cachedSize(path, opts.expectedSize);
  return size === undefined ? undefined : { path, sha256: expectedSha256, size, fromCache: true, resumed: false };
}

/** The partial file `downloadPartial(opts)` fills: `<cacheDir>/partial/<key>.part`, read as it grows by a streaming flash. */
export function partialFileOf(opts: DownloadOptions): string {
  return partialPaths(opts.cacheDir, keyOf(opts, parseUrl(opts.url))).part;
}

/** A download complete and verified in its partial file, not yet in the cache. */
export interface VerifiedPartial {
  readonly part: string;
  readonly sha256: string;
  readonly size: number;
  /** Moves the file into the cache (atomically: same filesystem) and returns it there. */
  commit(): Promise<DownloadResult>;
}

/**
 * Downloads into the partial file and verifies size and hash there (a mismatch discards it and throws). `onBody` is
 * told where each response body starts (download-attempt.ts), for a reader of the partial as it grows.
 */
export async function downloadPartial(opts: DownloadOptions, onBody?: (body: BodyStart) => void): Promise<VerifiedPartial> {
  const url = parseUrl(opts.url);
  assertFetchableUrl(url, opts.allowHttp ?? false);
  const expectedSha256 = opts.expectedSha256 === undefined ? undefined : normalizeSha256(opts.expectedSha256);
  const fileName = nameOf(opts, url);
  if (opts.signal?.aborted) throw new MaculaError('ERR_ABORTED', `aborted: ${displayUrl(url)}`, { url: displayUrl(url) });
  const paths = partialPaths(opts.cacheDir, keyOf(opts, url));
  await mkdir(dirname(paths.part), { recursive: true });
  const ctx: AttemptContext = {
    url,
    paths,
    pinned: expectedSha256 !== undefined,
    ...(opts.expectedSize !== undefined ? { expectedSize: opts.expectedSize } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(onBody ? { onBody } : {}),
    http: {
      ...(opts.allowHttp !== undefined ? { allowHttp: opts.allowHttp } : {}),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.maxRedirects !== undefined ? { maxRedirects: opts.maxRedirects } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  };
  const outcome = await withRetries(ctx, opts.retries ?? 3, opts.signal);
  await verify(outcome, paths, url, opts.expectedSize, expectedSha256);
  return {
    part: paths.part,
    sha256: outcome.sha256,
    size: outcome.size,
    async commit() {
      const path = cachedFilePath(opts.cacheDir, outcome.sha256, fileName);
      await mkdir(dirname(path), { recursive: true });
      // Same filesystem (both under cacheDir), so the file appears in the cache whole or not at all.
      await rename(paths.part, path);
      await rm(paths.sidecar, { force: true });
      return { path, sha256: outcome.sha256, size: outcome.size, fromCache: false, resumed: outcome.resumed };
    },
  };
}

function nameOf(opts: DownloadOptions, url: URL): string {
  return opts.fileName === undefined ? fileNameFromUrl(url) : assertSafeFileName(opts.fileName);
}

/** Partials are keyed by the expected hash (any mirror resumes them), else by the URL. */
function keyOf(opts: DownloadOptions, url: URL): string {
  return opts.expectedSha256 === undefined ? sha256Hex(url.href) : normalizeSha256(opts.expectedSha256);
}

async function withRetries(ctx: AttemptContext, retries: number, signal?: AbortSignal): Promise<AttemptResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadAttempt(ctx);
    } catch (err) {
      if (attempt >= retries || signal?.aborted || !isRetryable(err)) throw err;
      await sleep(backoffMs(attempt), signal, displayUrl(ctx.url));
    }
  }
}

async function verify(
  outcome: AttemptResult,
  paths: PartialPaths,
  url: URL,
  expectedSize: number | undefined,
  expectedSha256: string | undefined,
): Promise<void> {
  if (expectedSize !== undefined && outcome.size !== expectedSize) {
    await discardPartial(paths);
    throw new MaculaError('ERR_SIZE_MISMATCH', `downloaded ${outcome.size} bytes, expected ${expectedSize}`, {
      expected: expectedSize,
      actual: outcome.size,
      url: displayUrl(url),
    });
  }
  if (expectedSha256 !== undefined && outcome.sha256 !== expectedSha256) {
    await discardPartial(paths);
    throw new MaculaError('ERR_HASH_MISMATCH', `SHA-256 of ${displayUrl(url)} does not match`, {
      expected: expectedSha256,
      actual: outcome.sha256,
      url: displayUrl(url),
    });
  }
}
