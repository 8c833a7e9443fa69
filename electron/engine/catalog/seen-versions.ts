import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../../../shared/catalog';
import { NO_VERSIONS_SEEN, SEEN_VERSIONS_FILE, type SeenVersions, seenVersionsSchema, withCatalogSeen } from '../../../shared/catalog-seen';
import { MaculaError } from '../../../shared/errors';

/** The newest versions seen so far (shared/catalog-seen.ts), kept in `configDir`; none yet when there is no file. */
export async function readSeenVersions(configDir: string): Promise<SeenVersions> {
  const path = join(configDir, SEEN_VERSIONS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return NO_VERSIONS_SEEN;
    throw new MaculaError('ERR_IO', `cannot read ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = seenVersionsSchema.safeParse(json);
  // Not read as "nothing seen": that would lift the downgrade check silently. Deleting the file is a visible choice.
  if (!parsed.success) {
    throw new MaculaError('ERR_IO', `${path} is damaged (not the record of catalog versions seen); delete it to start the record afresh`, { path });
  }
  return parsed.data;
}

/**
 * Adds a verified catalog's newest versions to the record (never lowering one). Written to a temporary file of its own
 * and renamed, so a crash leaves the old record or the new one, not half of one, and two loads at once (two windows,
 * the CLI beside the app) do not take each other's temporary file; the last rename wins. Unchanged, nothing is written.
 */
export async function recordSeenVersions(configDir: string, seen: SeenVersions, catalog: Catalog): Promise<void> {
  const next = withCatalogSeen(seen, catalog);
  if (JSON.stringify(next) === JSON.stringify(seen)) return;
  const path = join(configDir, SEEN_VERSIONS_FILE);
  const part = `${path}.${randomUUID()}.part`;
  try {
    await mkdir(configDir, { recursive: true });
    await writeFile(part, `${JSON.stringify(next, null, 2)}\n`);
    await rename(part, path);
  } catch (e) {
    throw new MaculaError('ERR_IO', `cannot write ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
}
