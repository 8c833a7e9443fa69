// Bundles the Node and Electron entry points with esbuild; npm packages stay external (native addons among them).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';
// The Node options of every process that flashes (see electron/engine/app/engine-node-flags.ts for why).
import engineNode from './engine/app/engine-node-flags.json' with { type: 'json' };

const FLAGS = engineNode.flags.join(' ');

// Worker threads the engine starts; each must sit next to the bundle that starts it (see engine/io/worker-launcher.ts).
const WORKERS = {
  'xz-block-worker': 'electron/engine/source/xz/xz-block-worker.ts',
  'sha256-worker': 'electron/engine/io/sha256-worker.ts',
};

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, packages: 'external', logLevel: 'warning' };

await Promise.all([
  build({
    ...common,
    format: 'esm',
    // Split into chunks, so that what the CLI imports with import() loads only when it is imported: in a single-file
    // ESM bundle esbuild hoists every external package's import to the top, and `macula flash` would load the fleet's
    // sqlite, mDNS and OpenPGP at start (≈ 50 MiB more resident memory; issue 3 wants a flash within 100 MB).
    splitting: true,
    entryPoints: {
      macula: 'electron/cli/macula.ts',
      start: 'electron/cli/start.ts',
    },
    outdir: 'dist/cli',
    // env -S splits the options off the interpreter's name (coreutils, BSD env; npm's Windows shims read it too).
    banner: { js: `#!/usr/bin/env -S node ${FLAGS}` },
  }),
  // The workers stay single files, outside the split: a packaged app runs them from app.asar.unpacked, where the
  // shared chunks (inside app.asar) are not.
  build({
    ...common,
    format: 'esm',
    entryPoints: WORKERS,
    outdir: 'dist/cli',
  }),
  build({
    ...common,
    format: 'cjs',
    entryPoints: { main: 'electron/main/main.ts' },
    outdir: 'dist/electron',
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
    // Engine modules locate files relative to import.meta.url; give the CommonJS bundle the same meaning.
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__importMetaUrl' },
  }),
  // A sandboxed preload may require only `electron`: bundle everything else (zod, shared/) and target the browser,
  // so a Node built-in creeping in fails this build instead of the window at run time.
  build({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
    minify: true,
    entryPoints: { preload: 'electron/preload/preload.ts' },
    outdir: 'dist/electron',
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
  }),
  build({
    ...common,
    format: 'esm',
    entryPoints: WORKERS,
    outdir: 'dist/electron',
  }),
]);

// The `macula` bin must be executable when run straight from dist/.
await chmod('dist/cli/macula.js', 0o755);

// The `macula` CLI of the packaged app (electron-builder.yml ships dist/bin as resources/bin): Electron's own binary
// run as Node over the CLI bundle in app.asar, so the packaged app needs no system Node. Linux and macOS layouts differ.
const SH_LAUNCHER = `#!/bin/sh
# macula: the headless CLI of the installed Macula Companion app.
res=$(cd "$(dirname "$0")/.." && pwd)
for exe in "$res/../macula-companion" "$res/../MacOS/Macula Companion"; do
  [ -x "$exe" ] && ELECTRON_RUN_AS_NODE=1 exec "$exe" ${FLAGS} "$res/app.asar/dist/cli/macula.js" "$@"
done
echo "macula: the Macula Companion executable was not found beside $res" >&2
exit 1
`;
const CMD_LAUNCHER = '@echo off\r\nrem macula: the headless CLI of the installed Macula Companion app.\r\n' +
  `set ELECTRON_RUN_AS_NODE=1\r\n"%~dp0..\\..\\Macula Companion.exe" ${FLAGS} "%~dp0..\\app.asar\\dist\\cli\\macula.js" %*\r\n`;
await mkdir('dist/bin', { recursive: true });
await writeFile('dist/bin/macula', SH_LAUNCHER, { mode: 0o755 });
await writeFile('dist/bin/macula.cmd', CMD_LAUNCHER);
