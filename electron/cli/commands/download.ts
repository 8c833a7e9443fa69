import { findCatalogEntry } from '../../../shared/catalog-parse';
import { acquireImage, type ImageOrigin } from '../../engine/acquire/acquire-image';
import { loadCatalog } from '../../engine/catalog/load-catalog';
import { defaultCacheDir } from '../../engine/download/cache-dir';
import { openImage } from '../../engine/source/open-image';
import { extractImage } from '../../engine/source/extract';
import { loadTrustedKeys } from '../../engine/trust/keyring';
import { caOption } from '../ca-option';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** `macula download`: fetch a catalog image or URL into the cache, verified by signed sums or a given hash. */
export const downloadCommand: Command = {
  usage:
    'macula download ENTRY|URL [--sha256 HASH] [--sums URL --sig URL] [--key KEY.asc] [--catalog URL|FILE] ' +
    '[--cache DIR] [--extract FILE] [--ca CA.pem] [--allow-http] [--json]',
  summary: 'download an image with resume and cache, checking its SHA-256 and the signature of SHA256SUMS',
  options: {
    sha256: { type: 'string' },
    sums: { type: 'string' },
    sig: { type: 'string' },
    key: { type: 'string' },
    catalog: { type: 'string' },
    cache: { type: 'string' },
    extract: { type: 'string' },
    ca: { type: 'string' },
    'allow-http': { type: 'boolean' },
  },
  async run({ args, out, signal }) {
    const target = args.positional(0, 'ENTRY or URL');
    const allowHttp = args.flag('allow-http');
    const ca = await caOption(args);
    let origin: ImageOrigin;
    if (/^https?:\/\//i.test(target)) origin = { kind: 'url', url: target };
    else {
      const catalogUrl = args.string('catalog');
      const { catalog } = await loadCatalog({ ...(catalogUrl !== undefined ? { url: catalogUrl } : {}), ...ca, allowHttp });
      origin = { kind: 'catalog', entry: findCatalogEntry(catalog, target) };
    }
    const key = args.string('key');
    const keys = await loadTrustedKeys(key !== undefined ? { userKeyringPath: key } : {});
    const [sha256, sumsUrl, sigUrl] = [args.string('sha256'), args.string('sums'), args.string('sig')];
    const image = await acquireImage({
      origin,
      keys,
      cacheDir: args.string('cache') ?? defaultCacheDir(),
      allowHttp,
      ...ca,
      signal,
      ...(sha256 !== undefined ? { sha256 } : {}),
      ...(sumsUrl !== undefined ? { sumsUrl } : {}),
      ...(sigUrl !== undefined ? { sigUrl } : {}),
      onProgress: (p) => out.progress(p, 'downloading'),
      onSignatureVerified: (signer, hash) =>
        out.event(
          'signature',
          { fingerprint: signer.fingerprint, keyId: signer.keyId, created: signer.created.toISOString(), sha256: hash },
          `SHA256SUMS signature good (key ${signer.fingerprint}); expecting ${hash}`,
        ),
    });
    out.endProgress();
    out.event(
      'downloaded',
      { path: image.path, sha256: image.sha256, size: image.size, fromCache: image.fromCache, resumed: image.resumed, trust: image.trust.kind },
      `${image.fromCache ? 'Cached' : 'Downloaded'} ${image.fileName} (${formatBytes(image.size)}, sha256 ${image.sha256}, ` +
        `${image.trust.kind === 'signed' ? 'signed sums' : 'given hash'}): ${image.path}`,
    );

    const dest = args.string('extract');
    if (dest === undefined) return;
    const entry = origin.kind === 'catalog' ? origin.entry : undefined;
    const extracted = await extractImage(await openImage(image.path), dest, {
      signal,
      onProgress: (p) => out.progress(p, 'decompressing'),
      ...(entry ? { expectedSize: entry.extract_size, expectedSha256: entry.extract_sha256 } : {}),
    });
    out.endProgress();
    out.event(
      'extracted',
      { path: dest, size: extracted.size, sha256: extracted.sha256 },
      `Extracted ${formatBytes(extracted.size)} to ${dest} (sha256 ${extracted.sha256}${entry ? ', matches the catalog' : ''})`,
    );
  },
};
