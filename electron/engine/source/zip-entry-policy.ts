import { MaculaError } from '../../../shared/errors';
import { compressionFromName, hasImageExtension } from '../../../shared/image-format';

/**
 * True for entry names that could escape the extraction directory: absolute paths, drive letters
 * (APPNOTE 6.3.10 §4.4.17.1 forbids both) and `..` segments; backslashes count as separators.
 */
export function isUnsafeEntryName(name: string): boolean {
  const normalised = name.replace(/\\/g, '/');
  if (normalised.startsWith('/') || /^[a-zA-Z]:/.test(normalised)) return true;
  return normalised.split('/').includes('..');
}

/** Directory entries end with '/' (APPNOTE §4.4.17.1); Finder metadata is never the image. */
function isIgnorable(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return name.endsWith('/') || name.startsWith('__MACOSX/') || base === '.DS_Store' || base.startsWith('._');
}

/**
 * Picks the image among a zip's entry names: the one entry with an image extension (.img .iso .raw),
 * else the only file. Throws PATH_TRAVERSAL for unsafe names (checked for every entry first),
 * MULTIPLE_IMAGES, NO_IMAGE, or UNSUPPORTED for a compressed image inside the zip.
 */
export function chooseImageEntry(names: readonly string[], zipPath: string): string {
  const unsafe = names.find(isUnsafeEntryName);
  if (unsafe !== undefined) {
    throw new MaculaError('ERR_ARCHIVE_PATH_TRAVERSAL', `zip ${zipPath} has an entry with an unsafe path: ${unsafe}`, {
      path: zipPath,
      field: unsafe,
    });
  }
  const files = names.filter((n) => !isIgnorable(n));
  const images = files.filter(hasImageExtension);
  if (images.length > 1) {
    throw new MaculaError('ERR_ARCHIVE_MULTIPLE_IMAGES', `zip ${zipPath} holds ${images.length} images (${images.join(', ')}); expected one`, {
      path: zipPath,
    });
  }
  if (images[0] !== undefined) return images[0];
  const nested = files.find((n) => compressionFromName(n) !== undefined);
  if (nested !== undefined) {
    throw new MaculaError('ERR_ARCHIVE_UNSUPPORTED', `zip ${zipPath} holds a compressed image (${nested}); extract it first`, {
      path: zipPath,
      field: nested,
    });
  }
  if (files.length === 1 && files[0] !== undefined) return files[0];
  throw new MaculaError(
    'ERR_ARCHIVE_NO_IMAGE',
    files.length === 0
      ? `zip ${zipPath} holds no files`
      : `zip ${zipPath} holds ${files.length} files and none is an image (.img, .iso, .raw)`,
    { path: zipPath },
  );
}
