import { readFile } from 'node:fs/promises';
import { type Catalog, DEFAULT_CATALOG_URL } from '../../../shared/catalog';
import { parseCatalog } from '../../../shared/catalog-parse';
import { isMaculaError } from '../../../shared/errors';
import { assetPath } from '../assets';
import { fetchBytes } from '../download/fetch-bytes';

export interface LoadCatalogOptions {
  /** A self-hosted catalog URL (plan §7.9) or a local file path; replaces the default. */
  readonly url?: string;
  readonly allowHttp?: boolean;
  readonly ca?: string | Buffer;
  readonly timeoutMs?: number;
}

export type CatalogSource = 'remote' | 'file' | 'bundled';

export interface LoadedCatalog {
  readonly catalog: Catalog;
  readonly source: CatalogSource;
  readonly location: string;
  /** Why the bundled copy is used instead of the default remote one. */
  readonly fallbackReason?: string;
}

function isRemote(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** The copy of the catalog shipped in assets/, for offline use. */
export async function loadBundledCatalog(): Promise<LoadedCatalog> {
  const location = assetPath('catalog.json');
  return { catalog: parseCatalog(await readFile(location, 'utf8'), location), source: 'bundled', location };
}

/**
 * Loads the release catalog: an explicit URL or file when given (its failure is the caller's error, never silently
 * replaced), otherwise the default remote catalog, falling back to the bundled copy when the network fails.
 * A catalog that fails its schema is refused in every case.
 */
export async function loadCatalog(opts: LoadCatalogOptions = {}): Promise<LoadedCatalog> {
  const explicit = opts.url ?? process.env['MACULA_CATALOG_URL'];
  const location = explicit ?? DEFAULT_CATALOG_URL;
  const fetchOpts = {
    allowHttp: opts.allowHttp ?? false,
    timeoutMs: opts.timeoutMs ?? 15_000,
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
  };
  try {
    const bytes = await fetchBytes(location, fetchOpts);
    const catalog = parseCatalog(bytes.toString('utf8'), location);
    return { catalog, source: isRemote(location) ? 'remote' : 'file', location };
  } catch (e) {
    const networkFailure = isMaculaError(e) && ['ERR_NETWORK', 'ERR_HTTP_TIMEOUT', 'ERR_HTTP_STATUS'].includes(e.code);
    if (explicit !== undefined || !networkFailure) throw e;
    const bundled = await loadBundledCatalog();
    return { ...bundled, fallbackReason: `${location} unreachable (${(e as Error).message}); using the bundled copy` };
  }
}
