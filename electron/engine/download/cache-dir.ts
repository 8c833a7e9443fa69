import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

const APP_DIR = 'macula-companion';

/** What the cache location depends on; separated so every OS's rule can be tested on any OS. */
export interface CacheDirContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly home: string;
}

/** The download cache: `MACULA_CACHE_DIR`, else the per-OS user cache directory + `/macula-companion`. */
export function defaultCacheDir(): string {
  return cacheDirFor({ env: process.env, platform: process.platform, home: homedir() });
}

/** `defaultCacheDir` for an explicit environment, platform and home directory. */
export function cacheDirFor({ env, platform, home }: CacheDirContext): string {
  const override = env['MACULA_CACHE_DIR'];
  if (override) return override;
  switch (platform) {
    case 'win32':
      return win32.join(env['LOCALAPPDATA'] || win32.join(home, 'AppData', 'Local'), APP_DIR);
    case 'darwin':
      return posix.join(home, 'Library', 'Caches', APP_DIR);
    default: {
      // XDG Base Directory spec: a relative $XDG_CACHE_HOME is invalid and must be ignored.
      const xdg = env['XDG_CACHE_HOME'];
      return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.cache'), APP_DIR);
    }
  }
}
