import { createHash } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * A build step's outputs, kept under `cacheDir/<step>-<key>/` where the key hashes everything the step reads
 * (scripts, package lists, overlay files, earlier steps' keys). A step whose folder exists is not run again; a step
 * that fails leaves only a `.partial` folder, removed on the next run.
 */

/** SHA-256 of strings and files (paths hashed by content, folders by their sorted files' names and contents). */
export async function keyOf(parts: readonly (string | { readonly path: string })[]): Promise<string> {
  const hash = createHash('sha256');
  for (const part of parts) {
    if (typeof part === 'string') {
      hash.update(`s:${part}\0`);
      continue;
    }
    for (const file of await filesUnder(part.path)) {
      const info = await stat(file);
      // The mode matters too: an overlay script that loses its x bit is a different image.
      hash.update(`f:${relative(part.path, file)}:${(info.mode & 0o777).toString(8)}\0`);
      hash.update(await readFile(file));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries.sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => filesUnder(join(path, e.name))),
  );
  return nested.flat();
}

/** Runs `produce(dir)` unless the step's folder is cached; returns the folder and whether it was a cache hit. */
export async function cachedStep(
  cacheDir: string,
  step: string,
  key: string,
  produce: (dir: string) => Promise<void>,
): Promise<{ dir: string; hit: boolean }> {
  const dir = join(cacheDir, `${step}-${key}`);
  if (await access(dir).then(() => true, () => false)) return { dir, hit: true };
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await produce(partial);
  await rename(partial, dir);
  // One version per step is kept: older ones are hundreds of MB each and never read again.
  // Exactly this step's folders (STEP-KEY, 16 hex digits): `base-` must not match `base-arm64-…`, another
  // architecture's step, which may be building at this very moment under its own lock.
  const mine = new RegExp(`^${step.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{16}$`);
  for (const old of await readdir(cacheDir)) {
    if (mine.test(old) && old !== `${step}-${key}`) await rm(join(cacheDir, old), { recursive: true, force: true });
  }
  return { dir, hit: false };
}
