import { z } from 'zod';
import { ARCHES, type Catalog, VARIANTS, versionSchema } from './catalog';
import { compareVersions } from './catalog-parse';

/**
 * The no-silent-downgrade record (docs/acquisition.md): per arch+variant, the newest version listed by any verified
 * catalog this user has loaded. A signed catalog is a valid catalog forever, so without this a catalog host could
 * replay last year's catalog and offer last year's (signed, vulnerable) release as the newest.
 */

/** File name of the record in the app's config directory. */
export const SEEN_VERSIONS_FILE = 'catalog-seen.json';

/** `amd64-airgapped`: the kind a catalog's versions are compared within (as `findCatalogEntry` resolves it). */
const KIND = new RegExp(`^(${ARCHES.join('|')})-(${VARIANTS.join('|')})$`);

export const seenVersionsSchema = z.strictObject({
  format: z.literal(1),
  newest: z.record(z.string().regex(KIND, 'must be ARCH-VARIANT'), versionSchema),
});
export type SeenVersions = z.infer<typeof seenVersionsSchema>;

export const NO_VERSIONS_SEEN: SeenVersions = { format: 1, newest: {} };

/** One kind whose newest entry in a catalog is older than the newest seen before. */
export const downgradeSchema = z.strictObject({ kind: z.string(), offered: versionSchema, seen: versionSchema });
export type Downgrade = z.infer<typeof downgradeSchema>;

/** The newest version of each kind a catalog lists. */
export function newestByKind(catalog: Catalog): Map<string, string> {
  const newest = new Map<string, string>();
  for (const image of catalog.os_list) {
    const kind = `${image.arch}-${image.variant}`;
    const known = newest.get(kind);
    if (known === undefined || compareVersions(image.version, known) > 0) newest.set(kind, image.version);
  }
  return newest;
}

/**
 * The kinds this catalog rolls back: its newest entry is older than one seen before. Older entries beside a newest
 * one that is not older are the publisher's choice, and a kind the catalog does not list (a discontinued variant) is
 * no downgrade of anything it offers.
 */
export function findDowngrades(catalog: Catalog, seen: SeenVersions): Downgrade[] {
  const out: Downgrade[] = [];
  for (const [kind, offered] of newestByKind(catalog)) {
    const before = seen.newest[kind];
    if (before !== undefined && compareVersions(offered, before) < 0) out.push({ kind, offered, seen: before });
  }
  return out;
}

/** The record after also seeing `catalog`: each kind keeps the newer of the two versions, never the older. */
export function withCatalogSeen(seen: SeenVersions, catalog: Catalog): SeenVersions {
  const newest = { ...seen.newest };
  for (const [kind, version] of newestByKind(catalog)) {
    const before = newest[kind];
    if (before === undefined || compareVersions(version, before) > 0) newest[kind] = version;
  }
  return { format: 1, newest };
}

/** `amd64-airgapped 1.0.0 (1.1.0 seen), …` */
export function describeDowngrades(downgrades: readonly Downgrade[]): string {
  return downgrades.map((d) => `${d.kind} ${d.offered} (${d.seen} seen)`).join(', ');
}
