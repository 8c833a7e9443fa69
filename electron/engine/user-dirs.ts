import { posix, win32 } from 'node:path';

/**
 * The per-OS user directories of the app, by what they hold: `cache` (downloads: may be wiped), `config` (settings,
 * saved profiles), `data` (the fleet inventory and pairing keys: must survive a cache clean). Each is the OS's base
 * directory of that kind + `/macula-companion`: Windows' Local/Roaming AppData, macOS' Library, the XDG Base
 * Directory spec elsewhere (a relative $XDG_… is invalid there and ignored).
 */

export type UserDirKind = 'cache' | 'config' | 'data';

export const APP_DIR = 'macula-companion';

interface BaseRule {
  readonly windowsEnv: string;
  readonly windowsFallback: readonly string[];
  readonly mac: readonly string[];
  readonly xdgEnv: string;
  readonly xdgFallback: readonly string[];
}

const RULES: Readonly<Record<UserDirKind, BaseRule>> = {
  cache: { windowsEnv: 'LOCALAPPDATA', windowsFallback: ['AppData', 'Local'], mac: ['Library', 'Caches'], xdgEnv: 'XDG_CACHE_HOME', xdgFallback: ['.cache'] },
  config: { windowsEnv: 'APPDATA', windowsFallback: ['AppData', 'Roaming'], mac: ['Library', 'Application Support'], xdgEnv: 'XDG_CONFIG_HOME', xdgFallback: ['.config'] },
  data: { windowsEnv: 'APPDATA', windowsFallback: ['AppData', 'Roaming'], mac: ['Library', 'Application Support'], xdgEnv: 'XDG_DATA_HOME', xdgFallback: ['.local', 'share'] },
};

/** The app's `kind` directory for an explicit environment, platform and home (so every OS's rule is testable anywhere). */
export function userDirFor(kind: UserDirKind, env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, home: string): string {
  const rule = RULES[kind];
  switch (platform) {
    case 'win32':
      return win32.join(env[rule.windowsEnv] || win32.join(home, ...rule.windowsFallback), APP_DIR);
    case 'darwin':
      return posix.join(home, ...rule.mac, APP_DIR);
    default: {
      const xdg = env[rule.xdgEnv];
      return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, ...rule.xdgFallback), APP_DIR);
    }
  }
}
