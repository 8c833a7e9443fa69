import { homedir } from 'node:os';
import { userDirFor } from '../user-dirs';

/**
 * Where the user's settings (saved profiles) live: `MACULA_CONFIG_DIR`, else the per-OS user *config* directory +
 * `/macula-companion` — settings, unlike the fleet inventory (data) or downloads (cache).
 */
export function configDirFor(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, home: string): string {
  return env['MACULA_CONFIG_DIR'] || userDirFor('config', env, platform, home);
}

/** `configDirFor` for this process. */
export function defaultConfigDir(): string {
  return configDirFor(process.env, process.platform, homedir());
}
