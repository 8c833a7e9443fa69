import { extname, join, normalize, sep } from 'node:path';

/**
 * The app's own origin. The renderer is served from `app://macula/` rather than file:// (Electron security checklist,
 * "avoid file://"): under file:// every local file shares one origin, so `'self'` in the CSP, the navigation lock and
 * the IPC sender check would all admit any HTML file on the disk; a standard, secure custom scheme is ours alone.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'macula';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Whether `url` is on the app's origin. Parsed by hand: Node's URL gives non-special schemes an opaque origin. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** The file under `rendererDir` an app URL names, or undefined (other origins, `..` escapes, encoded separators). */
export function resolveAppFile(rendererDir: string, url: string): string | undefined {
  if (!isAppUrl(url)) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || path.includes('\\')) return undefined;
  const rel = path === '/' || path === '' ? 'index.html' : path.replace(/^\/+/, '');
  const root = normalize(rendererDir);
  const file = normalize(join(root, rel));
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : undefined;
}

/** The Content-Type of an app file by its extension. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}
