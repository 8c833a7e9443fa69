import type { Bmap } from '../../../shared/bmap';
import { findCatalogEntry } from '../../../shared/catalog-parse';
import { MaculaError } from '../../../shared/errors';
import type { ImageChoice } from '../../../shared/ipc-flash';
import type { ByteProgress } from '../../../shared/progress';
import { type ImageStream, acquireStreaming } from '../acquire/stream-acquire';
import { loadCatalog } from '../catalog/load-catalog';
import { defaultCacheDir } from '../download/cache-dir';
import type { ImageSource } from '../source/image-source';
import { openImage } from '../source/open-image';
import { findSidecarBmap, readBmap } from '../source/read-bmap';
import { loadTrustedKeys } from '../trust/keyring';

/** An image ready to flash: its file, opened, and the block map to use with it. */
export interface ResolvedImage {
  readonly path: string;
  readonly source: ImageSource;
  readonly bmap: { readonly path: string; readonly bmap: Bmap } | undefined;
  readonly size: number | undefined;
  /** The SHA-256 the file was verified to have (a catalog entry's signed sums); undefined for a local file. */
  readonly sha256: string | undefined;
  /** The image is still downloading: flashed as it grows (flash-streamed.ts), `path` being its partial file. */
  readonly stream?: ImageStream;
}

/** The block map at `path`, refused when it describes another image (as `macula flash` does). */
async function loadBmap(path: string | undefined, source: ImageSource): Promise<ResolvedImage['bmap']> {
  if (path === undefined) return undefined;
  const bmap = await readBmap(path);
  if (source.sizeHint !== undefined && source.sizeHint !== bmap.imageSize) {
    throw new MaculaError('ERR_SIZE_MISMATCH', `${path} describes an image of ${bmap.imageSize} bytes, the image is ${source.sizeHint}: wrong bmap`, {
      path,
      expected: bmap.imageSize,
      actual: source.sizeHint,
    });
  }
  return { path, bmap };
}

/**
 * The chosen image as a local file: a file as given (with its `.bmap` beside it, if any), or a catalog entry checked
 * against the release's signed SHA256SUMS first, then read from the cache or flashed as it downloads.
 */
export async function resolveImage(
  choice: ImageChoice,
  signal: AbortSignal,
  where: { readonly ca: Buffer | undefined; readonly configDir: string | undefined },
  onDownload: (p: ByteProgress) => void,
): Promise<ResolvedImage> {
  let path: string;
  let bmapPath: string | undefined;
  let sha256: string | undefined;
  if (choice.kind === 'file') {
    path = choice.path;
    bmapPath = await findSidecarBmap(path);
  } else {
    const trust = where.ca ? { ca: where.ca } : {};
    const { catalog } = await loadCatalog({
      ...(choice.catalogUrl !== undefined ? { url: choice.catalogUrl } : {}),
      ...trust,
      ...(where.configDir !== undefined ? { configDir: where.configDir } : {}),
      // What the user chose when the catalog was shown (choose-os), not decided again here.
      allowDowngrade: choice.allowDowngrade ?? false,
    });
    const acquisition = await acquireStreaming({
      origin: { kind: 'catalog', entry: findCatalogEntry(catalog, choice.entryId) },
      keys: await loadTrustedKeys(),
      cacheDir: defaultCacheDir(),
      ...trust,
      signal,
      onProgress: onDownload,
    });
    if (acquisition.kind === 'streaming') {
      // Written as it arrives, sparsely with the entry's block map (stored where the image will be cached).
      const { stream } = acquisition;
      const source = await openImage(stream.path);
      const bmap = await loadBmap(stream.bmap?.path, source);
      return { path: stream.path, source, bmap, size: source.sizeHint ?? bmap?.bmap.imageSize, sha256: stream.sha256, stream };
    }
    path = acquisition.image.path;
    bmapPath = acquisition.image.bmap?.path;
    sha256 = acquisition.image.sha256;
  }
  const source = await openImage(path);
  const bmap = await loadBmap(bmapPath, source);
  return { path, source, bmap, size: source.sizeHint ?? bmap?.bmap.imageSize, sha256 };
}
