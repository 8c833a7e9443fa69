import { homedir } from 'node:os';
import { userDirFor } from '../user-dirs';

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
  return env['MACULA_CACHE_DIR'] || userDirFor('cache', env, platform, home);
}
