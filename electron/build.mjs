// Bundles the Node and Electron entry points with esbuild; npm packages stay external (native addons among them).
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

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
    entryPoints: {
      macula: 'electron/cli/macula.ts',
      start: 'electron/cli/start.ts',
      ...WORKERS,
    },
    outdir: 'dist/cli',
    banner: { js: '#!/usr/bin/env node' },
  }),
  build({
    ...common,
    format: 'cjs',
    entryPoints: { main: 'electron/main/main.ts', preload: 'electron/preload/preload.ts' },
    outdir: 'dist/electron',
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
    // Engine modules locate files relative to import.meta.url; give the CommonJS bundle the same meaning.
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__importMetaUrl' },
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
