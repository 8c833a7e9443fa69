import type { z } from 'zod';
import { type Catalog, type CatalogImage, catalogEntryId, catalogSchema } from './catalog';
import { MaculaError } from './errors';

/** Path of the first schema problem, as `os_list[2].extract_sha256`. */
function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function describeIssues(error: z.ZodError): { field: string; message: string } {
  const first = error.issues[0];
  const field = first ? issuePath(first.path) || '(root)' : '(root)';
  const lines = error.issues.slice(0, 5).map((i) => `${issuePath(i.path) || '(root)'}: ${i.message}`);
  return { field, message: lines.join('; ') };
}

/** Parses catalog JSON text; a catalog that fails its schema is refused with the offending field named. */
export function parseCatalog(text: string, source: string): Catalog {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MaculaError('ERR_CATALOG_SCHEMA', `catalog ${source} is not valid JSON: ${(e as Error).message}`, {
      field: '(root)',
    });
  }
  const result = catalogSchema.safeParse(json);
  if (!result.success) {
    const { field, message } = describeIssues(result.error);
    throw new MaculaError('ERR_CATALOG_SCHEMA', `catalog ${source} refused: ${message}`, { field });
  }
  return result.data;
}

/** Finds an entry by id (`1.0.0-amd64-airgapped`), by `arch-variant` (newest version), or by exact name. */
export function findCatalogEntry(catalog: Catalog, query: string): CatalogImage {
  const byId = catalog.os_list.find((i) => catalogEntryId(i) === query || i.name === query);
  if (byId) return byId;
  const newestFirst = [...catalog.os_list].sort((a, b) => compareVersions(b.version, a.version));
  const byKind = newestFirst.find((i) => `${i.arch}-${i.variant}` === query);
  if (byKind) return byKind;
  const known = catalog.os_list.map(catalogEntryId).join(', ');
  throw new MaculaError('ERR_CATALOG_ENTRY_NOT_FOUND', `no catalog entry "${query}"; known: ${known}`);
}

/** Orders SemVer core versions numerically (pre-release tags sort before the release, SemVer §11). */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = a.split('-', 2);
  const [coreB = '', preB] = b.split('-', 2);
  const pa = coreA.split('.').map(Number);
  const pb = coreB.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  if (preA === preB) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  return preA < preB ? -1 : 1;
}
