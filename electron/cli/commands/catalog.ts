import { catalogEntryId, downloadFileName } from '../../../shared/catalog';
import { loadCatalog } from '../../engine/catalog/load-catalog';
import { loadTrustedKeys } from '../../engine/trust/keyring';
import { caOption } from '../ca-option';
import { noteCatalog } from '../catalog-notes';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** `macula catalog`: lists the release catalog's images (default remote, bundled copy offline), signature checked. */
export const catalogCommand: Command = {
  usage: 'macula catalog [--url URL|FILE] [--catalog-sig URL|FILE] [--key KEY.asc] [--allow-downgrade] [--ca CA.pem] [--allow-http] [--json]',
  summary: 'list the MaculaOS images of the release catalog (checked against its signature by the release key)',
  options: {
    url: { type: 'string' },
    'catalog-sig': { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    'allow-http': { type: 'boolean' },
    'allow-downgrade': { type: 'boolean' },
  },
  async run({ args, out }) {
    const [url, sigUrl, key] = [args.string('url'), args.string('catalog-sig'), args.string('key')];
    const loaded = await loadCatalog({
      ...(url !== undefined ? { url } : {}),
      ...(sigUrl !== undefined ? { sigUrl } : {}),
      keys: await loadTrustedKeys(key !== undefined ? { userKeyringPath: key } : {}),
      ...(await caOption(args)),
      allowHttp: args.flag('allow-http'),
      allowDowngrade: args.flag('allow-downgrade'),
    });
    noteCatalog(loaded, out);
    out.event(
      'catalog',
      { source: loaded.source, location: loaded.location, title: loaded.catalog.title ?? null, signer: loaded.signer ?? null },
      `Catalog (${loaded.source}): ${loaded.location}` +
        (loaded.signer !== undefined ? `\n  signature good (key ${loaded.signer})` : '\n  bundled with the app'),
    );
    for (const image of loaded.catalog.os_list) {
      const id = catalogEntryId(image);
      out.event(
        'image',
        { id, ...image },
        `  ${id.padEnd(28)} ${image.name} — ${downloadFileName(image)}, ${formatBytes(image.image_download_size)} ` +
          `(${formatBytes(image.extract_size)} extracted), needs ${formatBytes(image.min_target_size)}`,
      );
    }
  },
};
