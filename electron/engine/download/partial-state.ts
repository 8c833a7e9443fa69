import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where an unfinished download lives: the bytes so far and the sidecar describing them. */
export interface PartialPaths {
  readonly part: string;
  readonly sidecar: string;
}

/** What the server said about the resource when the partial was started; needed to resume it safely. */
export interface Sidecar {
  readonly url: string;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly total?: number;
}

/** `<cacheDir>/partial/<key>.part` and `<key>.json`. */
export function partialPaths(cacheDir: string, key: string): PartialPaths {
  const base = join(cacheDir, 'partial', key);
  return { part: `${base}.part`, sidecar: `${base}.json` };
}

/** Reads the sidecar; a missing or unreadable one means the partial cannot be trusted. */
export async function readSidecar(path: string): Promise<Sidecar | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as Record<string, unknown>;
  if (typeof o['url'] !== 'string') return undefined;
  return {
    url: o['url'],
    ...(typeof o['etag'] === 'string' ? { etag: o['etag'] } : {}),
    ...(typeof o['lastModified'] === 'string' ? { lastModified: o['lastModified'] } : {}),
    ...(typeof o['total'] === 'number' ? { total: o['total'] } : {}),
  };
}

/** Writes the sidecar for a partial that has just (re)started from byte 0. */
export async function writeSidecar(path: string, sidecar: Sidecar): Promise<void> {
  await writeFile(path, `${JSON.stringify(sidecar)}\n`);
}

/** Deletes the partial and its sidecar, so no half file can later pass for a good one. */
export async function discardPartial(paths: PartialPaths): Promise<void> {
  await Promise.all([rm(paths.part, { force: true }), rm(paths.sidecar, { force: true })]);
}
