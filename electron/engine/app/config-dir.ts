import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

const APP_DIR = 'macula-companion';

/**
 * Where the user's settings (saved profiles) live: `MACULA_CONFIG_DIR`, else the per-OS user *config* directory +
 * `/macula-companion` — settings, unlike the fleet inventory (data) or downloads (cache).
 */
export function configDirFor(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, home: string): string {
  const override = env['MACULA_CONFIG_DIR'];
  if (override) return override;
  switch (platform) {
    case 'win32':
      return win32.join(env['APPDATA'] || win32.join(home, 'AppData', 'Roaming'), APP_DIR);
    case 'darwin':
      return posix.join(home, 'Library', 'Application Support', APP_DIR);
    default: {
      // XDG Base Directory spec: a relative $XDG_CONFIG_HOME is invalid and must be ignored.
      const xdg = env['XDG_CONFIG_HOME'];
      return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.config'), APP_DIR);
    }
  }
}

/** `configDirFor` for this process. */
export function defaultConfigDir(): string {
  return configDirFor(process.env, process.platform, homedir());
}
