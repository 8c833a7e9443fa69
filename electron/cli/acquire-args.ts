import type { CatalogImage } from '../../shared/catalog';
import { findCatalogEntry } from '../../shared/catalog-parse';
import type { ByteProgress } from '../../shared/progress';
import { type AcquireOptions, type AcquiredImage, type ImageOrigin, acquireImage } from '../engine/acquire/acquire-image';
import { type Acquisition, acquireStreaming } from '../engine/acquire/stream-acquire';
import { loadCatalog } from '../engine/catalog/load-catalog';
import { defaultCacheDir } from '../engine/download/cache-dir';
import { loadTrustedKeys } from '../engine/trust/keyring';
import type { Args } from './args';
import { caOption } from './ca-option';
import { noteCatalog } from './catalog-notes';
export { ACQUIRE_OPTIONS, ACQUIRE_USAGE, isRemoteImage } from './acquire-options';
import type { Output } from './output';
import { formatBytes } from './output';

/** The acquisition `target` asks for: its origin (a catalog entry is looked up in the signed catalog) and options. */
async function acquireOptions(
  target: string,
  args: Args,
  out: Output,
  signal: AbortSignal,
  onProgress: (p: ByteProgress) => void,
): Promise<{ options: AcquireOptions; entry?: CatalogImage }> {
  const allowHttp = args.flag('allow-http');
  const ca = await caOption(args);
  const key = args.string('key');
  // The same keys vouch for the catalog and for SHA256SUMS.
  const keys = await loadTrustedKeys(key !== undefined ? { userKeyringPath: key } : {});
  let origin: ImageOrigin;
  if (/^https?:\/\//i.test(target)) origin = { kind: 'url', url: target };
  else {
    const [catalogUrl, sigUrl] = [args.string('catalog'), args.string('catalog-sig')];
    const loaded = await loadCatalog({
      ...(catalogUrl !== undefined ? { url: catalogUrl } : {}),
      ...(sigUrl !== undefined ? { sigUrl } : {}),
      keys,
      ...ca,
      allowHttp,
      allowDowngrade: args.flag('allow-downgrade'),
    });
    noteCatalog(loaded, out);
    origin = { kind: 'catalog', entry: findCatalogEntry(loaded.catalog, target) };
  }
  const [sha256, sumsUrl, sigUrl] = [args.string('sha256'), args.string('sums'), args.string('sig')];
  const options: AcquireOptions = {
    origin,
    keys,
    cacheDir: args.string('cache') ?? defaultCacheDir(),
    allowHttp,
    ...ca,
    signal,
    ...(sha256 !== undefined ? { sha256 } : {}),
    ...(sumsUrl !== undefined ? { sumsUrl } : {}),
    ...(sigUrl !== undefined ? { sigUrl } : {}),
    onProgress,
    onSignatureVerified: (signer, hash) =>
      out.event(
        'signature',
        { fingerprint: signer.fingerprint, keyId: signer.keyId, created: signer.created.toISOString(), sha256: hash },
        `SHA256SUMS signature good (key ${signer.fingerprint}); expecting ${hash}`,
      ),
  };
  return { options, ...(origin.kind === 'catalog' ? { entry: origin.entry } : {}) };
}

/**
 * For `macula flash`: ENTRY|URL checked against its signed sums, then either already cached (reported as
 * `downloaded`) or downloading, to be flashed as it arrives (stream-acquire.ts). Download progress goes to
 * `onProgress`, beside the write's.
 */
export async function acquireForFlash(target: string, args: Args, out: Output, signal: AbortSignal, onProgress: (p: ByteProgress) => void): Promise<Acquisition> {
  const { options } = await acquireOptions(target, args, out, signal, onProgress);
  const acquisition = await acquireStreaming(options);
  if (acquisition.kind === 'cached') reportAcquired(acquisition.image, out);
  else {
    const { stream } = acquisition;
    out.event('streaming', { path: stream.path, sha256: stream.sha256, size: stream.expectedSize ?? null }, `Flashing ${stream.fileName} as it downloads; its first MiB is written only once its SHA-256 matched`);
    if (stream.bmapProblem) out.event('notice', { message: `${stream.bmapProblem}; the image will be written whole` }, `note: ${stream.bmapProblem}; the image will be written whole`);
  }
  return acquisition;
}

/** Fetches ENTRY|URL into the cache as `macula download` does, reporting signature, progress and result on `out`. */
export async function acquireFromArgs(
  target: string,
  args: Args,
  out: Output,
  signal: AbortSignal,
): Promise<{ image: AcquiredImage; entry?: CatalogImage }> {
  const { options, entry } = await acquireOptions(target, args, out, signal, (p) => out.progress(p, 'downloading'));
  const image = await acquireImage(options);
  out.endProgress();
  reportAcquired(image, out);
  return { image, ...(entry ? { entry } : {}) };
}

/** The `downloaded` event (and a block map problem) for an image now in the cache. */
export function reportAcquired(image: AcquiredImage, out: Output): void {
  out.event(
    'downloaded',
    {
      path: image.path,
      sha256: image.sha256,
      size: image.size,
      fromCache: image.fromCache,
      resumed: image.resumed,
      trust: image.trust.kind,
      bmap: image.bmap ?? null,
    },
    `${image.fromCache ? 'Cached' : 'Downloaded'} ${image.fileName} (${formatBytes(image.size)}, sha256 ${image.sha256}, ` +
      `${image.trust.kind === 'signed' ? 'signed sums' : 'given hash'}): ${image.path}` +
      (image.bmap ? `\n  block map: ${image.bmap.path} (in the signed sums)` : ''),
  );
  if (image.bmapProblem) {
    const message = `${image.bmapProblem}; the image will be written whole`;
    out.event('notice', { message }, `note: ${message}`);
  }
}
