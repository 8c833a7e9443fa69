import { join } from 'node:path';
import { ENGINE_NODE_FLAGS } from '../engine/app/engine-node-flags';
import type { WriterRuntime } from '../engine/app/writer-launch';

/**
 * The desktop app's writer: Electron's own binary run as plain Node (ELECTRON_RUN_AS_NODE=1) over the `macula` CLI
 * bundle inside the app (dist/cli/macula.js, in app.asar when packaged). Not the system's node: users need not have
 * one, and the native addons are rebuilt for Electron's ABI (better-sqlite3 is not N-API). Not a copy in
 * extraResources: the bundle keeps its npm packages external and finds them in app.asar/node_modules.
 * Run with the engine's Node options (engine-node-flags.ts). `distElectronDir` is the folder of main.cjs.
 */
export function appWriterRuntime(distElectronDir: string, execPath: string): WriterRuntime {
  return {
    node: [execPath, ...ENGINE_NODE_FLAGS],
    script: join(distElectronDir, '..', 'cli', 'macula.js'),
    env: { ELECTRON_RUN_AS_NODE: '1' },
  };
}
