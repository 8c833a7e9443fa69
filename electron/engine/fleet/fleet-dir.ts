import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { userDirFor } from '../user-dirs';

/**
 * Where the fleet inventory lives: `MACULA_FLEET_DIR`, else the per-OS user *data* directory (not the cache: the
 * inventory and the pairing keys must survive a cache clean) + `/macula-companion/fleet`.
 */
export function fleetDirFor(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, home: string): string {
  return env['MACULA_FLEET_DIR'] || (platform === 'win32' ? win32 : posix).join(userDirFor('data', env, platform, home), 'fleet');
}

/** `fleetDirFor` for this process. */
export function defaultFleetDir(): string {
  return fleetDirFor(process.env, process.platform, homedir());
}
