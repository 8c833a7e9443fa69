import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Directory of files shipped with the app (bundled catalog, pinned release key).
 * Found by walking up from this module, which works from the sources, from `dist/`, and from a packaged app
 * (electron-builder copies `assets/` as an extra resource next to the bundle); `MACULA_ASSETS_DIR` overrides.
 */
export function assetsDir(): string {
  const override = process.env['MACULA_ASSETS_DIR'];
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'assets');
    if (existsSync(join(candidate, 'catalog.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('assets/ directory not found next to the application');
    dir = parent;
  }
}

export function assetPath(name: string): string {
  return join(assetsDir(), name);
}
