import { isAppUrl } from './app-origin';

const MAX_EXTERNAL_URL = 2048;

/**
 * A link the user may be sent to in their own browser: https only (no file:, javascript:, custom handlers that launch
 * programs, or cleartext), no credentials in it, a real host, no control characters or whitespace. Returns the
 * normalised URL, or undefined when it is refused.
 */
export function safeExternalUrl(raw: string): string | undefined {
  if (raw.length > MAX_EXTERNAL_URL || /\s/.test(raw) || [...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.hostname === '') return undefined;
  return url.href;
}

/** What the window does when asked to go to `url`: stay (the app's own pages), open it outside, or nothing at all. */
export type NavigationDecision = { readonly kind: 'allow' } | { readonly kind: 'external'; readonly url: string } | { readonly kind: 'deny' };

/** For will-navigate / will-redirect: only the app's origin loads in the window; safe https links go to the browser. */
export function navigationDecision(url: string): NavigationDecision {
  if (isAppUrl(url)) return { kind: 'allow' };
  const external = safeExternalUrl(url);
  return external === undefined ? { kind: 'deny' } : { kind: 'external', url: external };
}

/** For setWindowOpenHandler: no window is ever opened in the app; a safe https link goes to the browser. */
export function windowOpenDecision(url: string): Exclude<NavigationDecision, { kind: 'allow' }> {
  const external = safeExternalUrl(url);
  return external === undefined ? { kind: 'deny' } : { kind: 'external', url: external };
}
