import { catalogEntryId, downloadFileName } from '../../../shared/catalog';
import { loadCatalog } from '../../engine/catalog/load-catalog';
import { caOption } from '../ca-option';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** `macula catalog`: lists the release catalog's images (default remote, bundled copy offline). */
export const catalogCommand: Command = {
  usage: 'macula catalog [--url URL|FILE] [--ca CA.pem] [--allow-http] [--json]',
  summary: 'list the MaculaOS images of the release catalog',
  options: { url: { type: 'string' }, ca: { type: 'string' }, 'allow-http': { type: 'boolean' } },
  async run({ args, out }) {
    const url = args.string('url');
    const loaded = await loadCatalog({ ...(url !== undefined ? { url } : {}), ...(await caOption(args)), allowHttp: args.flag('allow-http') });
    if (loaded.fallbackReason) out.event('notice', { message: loaded.fallbackReason }, `note: ${loaded.fallbackReason}`);
    out.event(
      'catalog',
      { source: loaded.source, location: loaded.location, title: loaded.catalog.title ?? null },
      `Catalog (${loaded.source}): ${loaded.location}`,
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
