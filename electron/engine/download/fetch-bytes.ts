import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MaculaError } from '../../../shared/errors';
import { parseContentLength } from './content-range';
import { httpGet, statusError, type HttpGetOptions } from './http-get';
import { parseUrl, displayUrl } from './url-policy';

/** Options for fetching a small document; the http(s) policy is the same as for `download`. */
export interface FetchBytesOptions extends Omit<HttpGetOptions, 'headers'> {
  /** Refuse documents larger than this. Default 16 MiB. */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads a small document (catalog JSON, SHA256SUMS, .asc signature) into memory from an http(s) URL,
 * a `file:` URL or a plain local path. Larger than `maxBytes` is ERR_SIZE_MISMATCH (expected = the cap).
 */
export async function fetchBytes(location: string, opts: FetchBytesOptions = {}): Promise<Buffer> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const localPath = localPathOf(location);
  if (localPath !== undefined) return readLocal(localPath, maxBytes, opts.signal);
  const res = await httpGet(parseUrl(location), opts);
  if (res.status < 200 || res.status > 299 || res.status === 206) {
    res.body.destroy();
    throw statusError(res);
  }
  const announced = parseContentLength(res.headers['content-length']);
  if (announced !== undefined && announced > maxBytes) {
    res.body.destroy();
    throw tooLarge(displayUrl(res.url), maxBytes, announced);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      received += buf.length;
      // Checked while streaming too: Content-Length may be absent (chunked) or wrong.
      if (received > maxBytes) throw tooLarge(displayUrl(res.url), maxBytes, received);
      chunks.push(buf);
    }
  } catch (err) {
    res.body.destroy();
    throw res.explain(err);
  }
  return Buffer.concat(chunks, received);
}

/** A `file:` URL or a plain path (POSIX or Windows, `C:\...`) maps to a path; http(s) and others do not. */
function localPathOf(location: string): string | undefined {
  if (/^file:/i.test(location)) {
    try {
      return fileURLToPath(location);
    } catch (err) {
      throw new MaculaError('ERR_USAGE', `not a valid file URL: ${location}`, { url: location }, { cause: err });
    }
  }
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(location) && !/^[a-z]:[\\/]/i.test(location);
  return hasScheme ? undefined : location;
}

async function readLocal(path: string, maxBytes: number, signal: AbortSignal | undefined): Promise<Buffer> {
  try {
    const { size } = await stat(path);
    if (size > maxBytes) throw tooLarge(path, maxBytes, size);
    return await readFile(path, signal ? { signal } : {});
  } catch (err) {
    if (err instanceof MaculaError) throw err;
    if (signal?.aborted) throw new MaculaError('ERR_ABORTED', `aborted reading ${path}`, { path }, { cause: err });
    const reason = err instanceof Error ? err.message : String(err);
    throw new MaculaError('ERR_IO', `cannot read ${path}: ${reason}`, { path }, { cause: err });
  }
}

function tooLarge(where: string, maxBytes: number, actual: number): MaculaError {
  return new MaculaError('ERR_SIZE_MISMATCH', `${where} is larger than the ${maxBytes}-byte limit`, {
    expected: maxBytes,
    actual,
    ...(where.includes('://') ? { url: where } : { path: where }),
  });
}
