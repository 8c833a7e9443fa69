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
import { downloadAttempt, type AttemptContext, type AttemptResult } from './download-attempt';
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
  const url = parseUrl(opts.url);
  assertFetchableUrl(url, opts.allowHttp ?? false);
  const expectedSha256 = opts.expectedSha256 === undefined ? undefined : normalizeSha256(opts.expectedSha256);
  const fileName = opts.fileName === undefined ? fileNameFromUrl(url) : assertSafeFileName(opts.fileName);
  if (opts.signal?.aborted) throw new MaculaError('ERR_ABORTED', `aborted: ${displayUrl(url)}`, { url: displayUrl(url) });

  if (expectedSha256 !== undefined) {
    const path = cachedFilePath(opts.cacheDir, expectedSha256, fileName);
    const size = await cachedSize(path, opts.expectedSize);
    if (size !== undefined) return { path, sha256: expectedSha256, size, fromCache: true, resumed: false };
  }

  const paths = partialPaths(opts.cacheDir, expectedSha256 ?? sha256Hex(url.href));
  await mkdir(dirname(paths.part), { recursive: true });
  const ctx: AttemptContext = {
    url,
    paths,
    pinned: expectedSha256 !== undefined,
    ...(opts.expectedSize !== undefined ? { expectedSize: opts.expectedSize } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
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
  const path = cachedFilePath(opts.cacheDir, outcome.sha256, fileName);
  await mkdir(dirname(path), { recursive: true });
  // Same filesystem (both under cacheDir), so the file appears in the cache whole or not at all.
  await rename(paths.part, path);
  await rm(paths.sidecar, { force: true });
  return { path, sha256: outcome.sha256, size: outcome.size, fromCache: false, resumed: outcome.resumed };
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
