import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { MaculaError } from '../../../shared/errors';
import { assertFetchableUrl, displayUrl } from './url-policy';

/** Options shared by every GET the download engine makes. */
export interface HttpGetOptions {
  /** Permit plain http:// (initial URL and redirect targets). Default false. */
  readonly allowHttp?: boolean;
  /** Extra trusted CA (PEM) for a self-hosted mirror, added to the bundled roots. */
  readonly ca?: string | Buffer;
  /** Idle timeout: fail when the socket sees no traffic for this long. Default 30 s. */
  readonly timeoutMs?: number;
  /** Default 5. */
  readonly maxRedirects?: number;
  readonly signal?: AbortSignal;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A response after redirects, with its body not yet read. */
export interface HttpResponse {
  readonly url: URL;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  /** Turns an error seen while reading `body` into the MaculaError that explains it (abort, timeout, network). */
  readonly explain: (err: unknown) => MaculaError;
}

/** RFC 9110 §15.4: the redirect statuses that carry a Location to follow. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 5;

/** GET `url`, following redirects under the scheme policy; any final status is returned to the caller. */
export async function httpGet(url: URL, opts: HttpGetOptions = {}): Promise<HttpResponse> {
  const allowHttp = opts.allowHttp ?? false;
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  assertFetchableUrl(url, allowHttp);
  let current = url;
  for (let hops = 0; ; hops++) {
    const res = await getOnce(current, opts);
    const location = res.headers.location;
    if (!REDIRECT_STATUSES.has(res.status) || location === undefined) return res;
    res.body.destroy();
    if (hops >= maxRedirects) {
      throw new MaculaError('ERR_HTTP_TOO_MANY_REDIRECTS', `more than ${maxRedirects} redirects from ${displayUrl(url)}`, {
        url: displayUrl(url),
        expected: maxRedirects,
      });
    }
    const next = resolveLocation(location, current, res.status);
    assertFetchableUrl(next, allowHttp, current);
    current = next;
  }
}

/** Builds the error for a status the caller cannot use. */
export function statusError(res: HttpResponse): MaculaError {
  return new MaculaError('ERR_HTTP_STATUS', `HTTP ${res.status} from ${displayUrl(res.url)}`, {
    status: res.status,
    url: displayUrl(res.url),
  });
}

function resolveLocation(location: string, base: URL, status: number): URL {
  try {
    // RFC 9110 §10.2.2: Location may be relative to the request URL.
    return new URL(location, base);
  } catch (err) {
    throw new MaculaError('ERR_HTTP_STATUS', `HTTP ${status} with an invalid Location from ${displayUrl(base)}`, {
      status,
      url: displayUrl(base),
    }, { cause: err });
  }
}

function getOnce(url: URL, opts: HttpGetOptions): Promise<HttpResponse> {
  const { signal } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timedOut = false;
  const explain = (err: unknown): MaculaError => {
    if (err instanceof MaculaError) return err;
    if (signal?.aborted) return new MaculaError('ERR_ABORTED', `aborted: ${displayUrl(url)}`, { url: displayUrl(url) }, { cause: err });
    if (timedOut) {
      return new MaculaError('ERR_HTTP_TIMEOUT', `no data from ${url.host} for ${timeoutMs} ms`, { url: displayUrl(url) }, {
        cause: err,
      });
    }
    const reason = err instanceof Error ? err.message : String(err);
    return new MaculaError('ERR_NETWORK', `network error from ${url.host}: ${reason}`, { url: displayUrl(url) }, { cause: err });
  };
  if (signal?.aborted) return Promise.reject(explain(signal.reason));

  return new Promise((resolve, reject) => {
    const options: RequestOptions = {
      method: 'GET',
      // Identity coding keeps byte ranges meaningful against the stored bytes (RFC 9110 §12.5.3, §14.1.2).
      headers: { 'user-agent': 'macula-companion', 'accept-encoding': 'identity', ...opts.headers },
      // One connection per request: a download is one long response, and a pooled socket the server has already
      // closed would only cost a retry.
      agent: false,
      // Socket idle timeout, also covering the connect phase.
      timeout: timeoutMs,
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, opts.ca === undefined ? options : { ...options, ca: [...rootCertificates, opts.ca] })
        : httpRequest(url, options);
    const onAbort = (): void => {
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const release = (): void => signal?.removeEventListener('abort', onAbort);
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.on('error', (err) => {
      release();
      reject(explain(err));
    });
    req.on('response', (body) => {
      body.once('close', release);
      resolve({ url, status: body.statusCode ?? 0, headers: body.headers, body, explain });
    });
    req.end();
  });
}
