import type { ProgressListener } from '../../../shared/progress';

/** What to download, where to cache it, and what it must match. */
export interface DownloadOptions {
  readonly url: string;
  readonly cacheDir: string;
  /** Hex SHA-256 the file must have; enables the cache lookup and keys the partial. */
  readonly expectedSha256?: string;
  readonly expectedSize?: number;
  /** Name inside the cache; default: the last path segment of the URL. */
  readonly fileName?: string;
  /** Permit plain http:// (initial URL and redirect targets). Default false. */
  readonly allowHttp?: boolean;
  /** Extra trusted CA (PEM) for a self-hosted mirror. */
  readonly ca?: string | Buffer;
  /** Idle timeout: no bytes for this long fails the attempt. Default 30 s. */
  readonly timeoutMs?: number;
  /** Further attempts after a transient failure, each resuming. Default 3. */
  readonly retries?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** Default 5. */
  readonly maxRedirects?: number;
}

/** A verified file in the cache. */
export interface DownloadResult {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** True when the file was already cached and no request was made. */
  readonly fromCache: boolean;
  /** True when the final attempt appended to bytes from an earlier attempt or call. */
  readonly resumed: boolean;
}
