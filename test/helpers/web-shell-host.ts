/**
 * The browser shell's server as its own process, for UI tests that need it inside a network namespace (its fleet
 * discovery must hear the nodes there): `web-shell-host.ts RENDERER_DIR` starts the real web server and engine on
 * 127.0.0.1:0 (the fleet inventory from MACULA_FLEET_DIR) and prints `{"url": …}` (tokened) once listening.
 * SIGTERM closes it.
 */
import { startWebShell } from '../../electron/web/web-server';

const rendererDir = process.argv[2];
if (!rendererDir) throw new Error('usage: web-shell-host.ts RENDERER_DIR');
const shell = await startWebShell(rendererDir);
console.log(JSON.stringify({ url: shell.url }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shell.close().then(() => process.exit(0)));
