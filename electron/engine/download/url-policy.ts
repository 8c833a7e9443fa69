import { MaculaError } from '../../../shared/errors';

/** Parses a caller-supplied URL, turning a malformed one into ERR_USAGE. */
export function parseUrl(raw: string): URL {
  try {
    return new URL(raw);
  } catch (err) {
    throw new MaculaError('ERR_USAGE', `not a valid URL: ${raw}`, { url: raw }, { cause: err });
  }
}

/**
 * The scheme rule every fetch obeys: https always; plain http only when the caller opted in (a LAN mirror),
 * because an http download can be tampered with in transit. A redirect target is held to the same rule,
 * so an https URL cannot be downgraded behind the caller's back; any other scheme in a redirect is refused.
 */
export function assertFetchableUrl(url: URL, allowHttp: boolean, redirectedFrom?: URL): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:') {
    if (allowHttp) return;
    const message = redirectedFrom
      ? `refusing redirect from ${displayUrl(redirectedFrom)} to insecure ${displayUrl(url)}`
      : `refusing insecure URL ${displayUrl(url)}; plain http must be allowed explicitly`;
    throw new MaculaError('ERR_HTTP_INSECURE', message, { url: displayUrl(url) });
  }
  if (redirectedFrom) {
    throw new MaculaError('ERR_HTTP_INSECURE', `refusing redirect to a ${url.protocol} URL`, { url: displayUrl(url) });
  }
  throw new MaculaError('ERR_USAGE', `unsupported URL scheme ${url.protocol}`, { url: displayUrl(url) });
}

/** A URL as it may appear in messages and logs: user name and password removed (secrets never reach logs). */
export function displayUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  return shown.href;
}
