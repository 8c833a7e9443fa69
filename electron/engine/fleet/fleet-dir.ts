import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

const APP_DIR = 'macula-companion';

/**
 * Where the fleet inventory lives: `MACULA_FLEET_DIR`, else the per-OS user *data* directory (not the cache: the
 * inventory and the pairing keys must survive a cache clean) + `/macula-companion/fleet`.
 */
export function fleetDirFor(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, home: string): string {
  const override = env['MACULA_FLEET_DIR'];
  if (override) return override;
  switch (platform) {
    case 'win32':
      return win32.join(env['APPDATA'] || win32.join(home, 'AppData', 'Roaming'), APP_DIR, 'fleet');
    case 'darwin':
      return posix.join(home, 'Library', 'Application Support', APP_DIR, 'fleet');
    default: {
      // XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and must be ignored.
      const xdg = env['XDG_DATA_HOME'];
      return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.local', 'share'), APP_DIR, 'fleet');
    }
  }
}

/** `fleetDirFor` for this process. */
export function defaultFleetDir(): string {
  return fleetDirFor(process.env, process.platform, homedir());
}
