import { readFile, realpath } from 'node:fs/promises';
import type { PublicKey } from 'openpgp';
import { type Catalog, DEFAULT_CATALOG_URL } from '../../../shared/catalog';
import { parseCatalog } from '../../../shared/catalog-parse';
import { type Downgrade, describeDowngrades, findDowngrades } from '../../../shared/catalog-seen';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import { defaultConfigDir } from '../app/config-dir';
import { assetPath } from '../assets';
import { fetchBytes } from '../download/fetch-bytes';
import { loadTrustedKeys } from '../trust/keyring';
import { defaultCatalogSigLocation, fetchCatalogSignature, verifyCatalogSignature } from './catalog-signature';
import { readSeenVersions, recordSeenVersions } from './seen-versions';

export interface LoadCatalogOptions {
  /** A self-hosted catalog URL (plan §7.9) or a local file path; replaces the default. */
  readonly url?: string;
  /** Its detached OpenPGP signature (URL or path); default: the catalog's location + `.asc`. */
  readonly sigUrl?: string;
  /** Keys the signature is checked against; default: the pinned release key (as for SHA256SUMS). */
  readonly keys?: readonly PublicKey[];
  readonly allowHttp?: boolean;
  readonly ca?: string | Buffer;
  readonly timeoutMs?: number;
  /** Where the newest versions seen are remembered (shared/catalog-seen.ts); default: the app's config directory. */
  readonly configDir?: string;
  /** Take a signed catalog older than one seen before (`--allow-downgrade`); the result lists what is older. */
  readonly allowDowngrade?: boolean;
}

export type CatalogSource = 'remote' | 'file' | 'bundled';

export interface LoadedCatalog {
  readonly catalog: Catalog;
  readonly source: CatalogSource;
  readonly location: string;
  /** Fingerprint of the key whose signature over the catalog was verified (absent for the bundled copy). */
  readonly signer?: string;
  /** Why the bundled copy is used instead of the default remote one. */
  readonly fallbackReason?: string;
  /** Kinds whose newest entry here is older than one seen before (only when allowed, or for the bundled copy). */
  readonly downgrades?: Downgrade[];
}

const NETWORK_FAILURES: readonly string[] = ['ERR_NETWORK', 'ERR_HTTP_TIMEOUT', 'ERR_HTTP_STATUS'];

function isRemote(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** The copy of the catalog shipped in assets/, for offline use: part of the installed app, so trusted as it is. */
export async function loadBundledCatalog(): Promise<LoadedCatalog> {
  const location = assetPath('catalog.json');
  return { catalog: parseCatalog(await readFile(location, 'utf8'), location), source: 'bundled', location };
}

/** Whether a local path names the bundled catalog itself (then it is that copy, trusted as shipped). */
async function isBundledFile(location: string): Promise<boolean> {
  if (isRemote(location) || /^file:/i.test(location)) return false;
  const [given, bundled] = await Promise.all([realpath(location).catch(() => ''), realpath(assetPath('catalog.json')).catch(() => undefined)]);
  return given === bundled;
}

/**
 * Loads the release catalog: an explicit URL or file when given (its failure is the caller's error, never silently
 * replaced), otherwise the default remote catalog, falling back to the bundled copy when the network fails.
 * A remote or file catalog must come with a detached OpenPGP signature by a trusted key over exactly the bytes
 * parsed (ERR_SIGNATURE_* otherwise, never a fallback); a catalog that fails its schema is refused in every case.
 */
export async function loadCatalog(opts: LoadCatalogOptions = {}): Promise<LoadedCatalog> {
  const explicit = opts.url ?? process.env['MACULA_CATALOG_URL'];
  const location = explicit ?? DEFAULT_CATALOG_URL;
  if (explicit !== undefined && (await isBundledFile(explicit))) return loadBundledCatalog();
  const fetchOpts = {
    allowHttp: opts.allowHttp ?? false,
    timeoutMs: opts.timeoutMs ?? 15_000,
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
  };
  let bytes: Buffer;
  let signature: Buffer;
  try {
    bytes = await fetchBytes(location, fetchOpts);
    signature = await fetchCatalogSignature(opts.sigUrl ?? defaultCatalogSigLocation(location), fetchOpts);
  } catch (e) {
    const networkFailure = isMaculaError(e) && NETWORK_FAILURES.includes(e.code);
    if (explicit !== undefined || !networkFailure) throw e;
    return bundledFallback(location, e, opts.configDir ?? defaultConfigDir());
  }
  const keys = opts.keys ?? (await loadTrustedKeys());
  const signer = await verifyCatalogSignature({ location, bytes, signature, keys });
  // Parsed only once trusted, and from the very bytes the signature covers.
  const catalog = parseCatalog(bytes.toString('utf8'), location);
  const downgrades = await checkDowngrade(catalog, location, opts);
  return {
    catalog,
    source: isRemote(location) ? 'remote' : 'file',
    location,
    signer: signer.fingerprint,
    ...(downgrades.length > 0 ? { downgrades } : {}),
  };
}

/**
 * No silent downgrade: a verified catalog whose newest entry of a kind is older than the newest seen before is
 * refused unless allowed; what it lists is remembered either way (the record only ever rises).
 */
async function checkDowngrade(catalog: Catalog, location: string, opts: LoadCatalogOptions): Promise<Downgrade[]> {
  const configDir = opts.configDir ?? defaultConfigDir();
  const seen = await readSeenVersions(configDir);
  const downgrades = findDowngrades(catalog, seen);
  if (downgrades.length > 0 && opts.allowDowngrade !== true) {
    throw new MaculaError(
      'ERR_CATALOG_DOWNGRADE',
      `catalog ${location} is older than one seen before: ${describeDowngrades(downgrades)}. A catalog host can replay an ` +
        'old signed catalog to offer an old release. Use it anyway only if you meant to: --allow-downgrade, or ' +
        '"Show the older catalog anyway" in the app',
      { path: location, expected: downgrades[0]?.seen ?? '', actual: downgrades[0]?.offered ?? '' },
    );
  }
  await recordSeenVersions(configDir, seen, catalog);
  return downgrades;
}

/** The bundled copy when the default catalog is unreachable; said to be older than seen when it is (not refused: it ships with the app). */
async function bundledFallback(location: string, cause: unknown, configDir: string): Promise<LoadedCatalog> {
  const bundled = await loadBundledCatalog();
  const downgrades = findDowngrades(bundled.catalog, await readSeenVersions(configDir));
  const older = downgrades.length > 0 ? `; it is older than catalogs seen before: ${describeDowngrades(downgrades)}` : '';
  return {
    ...bundled,
    fallbackReason: `${location} unreachable (${(cause as Error).message}); using the bundled copy${older}`,
    ...(downgrades.length > 0 ? { downgrades } : {}),
  };
}
