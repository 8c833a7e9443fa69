import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebShell } from '../web/web-server';

/**
 * `npm start`: opens the Electron app when its binary is installed; otherwise says so and serves the same renderer
 * as a browser shell on 127.0.0.1. `npm run web` (`--web`) serves the browser shell whether Electron is there or not.
 */
const distDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function electronBinary(): string | undefined {
  try {
    // The electron package's main export is the path of its binary; it throws when the binary was never downloaded.
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const webOnly = process.argv.includes('--web');
const binary = webOnly ? undefined : electronBinary();
if (binary) {
  const child = spawn(binary, [join(distDir, 'electron', 'main.cjs')], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const shell = await startWebShell(join(distDir, 'renderer'), Number(process.env['MACULA_WEB_PORT'] ?? 0));
  if (!webOnly) console.log('The Electron binary is not installed here (fetch it with `npm run electron:fetch` where the internet is reachable).');
  console.log(`Serving the browser shell${webOnly ? '' : ' instead'} — open this URL (it carries this session's token):\n\n  ${shell.url}\n`);
  console.log('Press Ctrl-C to stop.');
  const stop = (): void => void shell.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
