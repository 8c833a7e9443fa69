import { describeDowngrades } from '../../shared/catalog-seen';
import type { LoadedCatalog } from '../engine/catalog/load-catalog';
import type { Output } from './output';

/** Says aloud what the user should know about the catalog used: the bundled copy instead, or an older one allowed. */
export function noteCatalog(loaded: LoadedCatalog, out: Output): void {
  if (loaded.fallbackReason !== undefined) out.event('notice', { message: loaded.fallbackReason }, `note: ${loaded.fallbackReason}`);
  else if (loaded.downgrades !== undefined) {
    const message = `catalog ${loaded.location} is older than seen before: ${describeDowngrades(loaded.downgrades)}; used as --allow-downgrade asks`;
    out.event('notice', { message, downgrades: loaded.downgrades }, `note: ${message}`);
  }
}
