import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MaculaError } from '../../../shared/errors';

/** `<cacheDir>/sha256/<hex>/<fileName>`: only verified, complete files live here. */
export function cachedFilePath(cacheDir: string, sha256: string, fileName: string): string {
  return join(cacheDir, 'sha256', sha256, fileName);
}

/** The last path segment of the URL, decoded; `download` when the URL ends in a slash. */
export function fileNameFromUrl(url: URL): string {
  const segment = url.pathname.split('/').pop() ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    decoded = segment;
  }
  // A server-chosen name must not steer the write outside the cache directory.
  const cleaned = decoded.replace(/[/\\\0]/g, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'download' : cleaned;
}

/** Rejects a caller-supplied file name that is not a single path segment. */
export function assertSafeFileName(name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new MaculaError('ERR_USAGE', `file name must be a single path segment: ${JSON.stringify(name)}`, {
      field: 'fileName',
    });
  }
  return name;
}

/** Lower-cases and checks a hex SHA-256. */
export function normalizeSha256(hex: string): string {
  const lower = hex.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(lower)) {
    throw new MaculaError('ERR_USAGE', `not a SHA-256 hex digest: ${hex}`, { field: 'expectedSha256' });
  }
  return lower;
}

/** Hex SHA-256 of a string (used to key partials by URL). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Size of the cached file when it exists and has the expected size (if one is known). */
export async function cachedSize(path: string, expectedSize: number | undefined): Promise<number | undefined> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return undefined;
    return expectedSize === undefined || s.size === expectedSize ? s.size : undefined;
  } catch {
    return undefined;
  }
}
