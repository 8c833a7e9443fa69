import { isAppUrl } from './app-origin';

/**
 * The Content Security Policy of the app's pages: nothing but the app's own origin, no inline script or style, no
 * plugins, frames, base-URI tricks or form posts. The browser shell (electron/web/web-server.ts) sends the very same
 * policy and renderer/index.html carries it as a meta tag; test/electron-main-policy.test.ts keeps the three equal.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The policy as a `<meta>` tag can carry it: frame-ancestors is ignored there (CSP Level 3 §6.4.2), so it is left out. */
export const META_CSP = APP_CSP.split('; ')
  .filter((d) => !d.startsWith('frame-ancestors'))
  .join('; ');

export type ResponseHeaders = Record<string, string[]>;

/**
 * Response headers for `url` as the session's onHeadersReceived hook returns them: app pages get the CSP (any policy
 * they carried, in whatever case, replaced) plus nosniff; other responses pass unchanged.
 */
export function withAppSecurityHeaders(url: string, headers: ResponseHeaders | undefined): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name] = value;
  if (!isAppUrl(url)) return out;
  for (const name of Object.keys(out)) {
    if (['content-security-policy', 'x-content-type-options'].includes(name.toLowerCase())) delete out[name];
  }
  out['Content-Security-Policy'] = [APP_CSP];
  out['X-Content-Type-Options'] = ['nosniff'];
  return out;
}
