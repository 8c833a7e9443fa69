// Bundles the node agent into one file, dist/agent/macula-agent.js, for the OS image: every npm package inside
// (the node has no node_modules), CommonJS so the file runs alone without a package.json beside it, and Node 18
// syntax because Debian bookworm's nodejs is 18.x (../shared/ARCHITECTURE.md).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { build } from 'esbuild';

/** `node image-build/agent/build.mjs [OUTDIR]` (default dist/agent; tests build into a temporary folder). */
const outdir = process.argv[2] ?? 'dist/agent';

/**
 * The agent reads the seed through the engine's read-state.ts, whose module also writes state filesystems from a
 * zstd-compressed template (a native addon and an asset file the node does not have). Reading never calls those, so
 * the bundle gets stubs that fail loudly if that ever changes, instead of a .node file it cannot load.
 */
const writeOnlyStubs = {
  name: 'write-only-stubs',
  setup(b) {
    b.onResolve({ filter: /^zstd-napi$/ }, () => ({ path: 'zstd-napi', namespace: 'agent-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'agent-stub' }, () => ({
      contents: "export function decompress() { throw new Error('zstd is not part of the node agent'); }",
      loader: 'js',
    }));
  },
};

/**
 * ext2fs 4.2.5's lib/fs.js assigns to two consts, in realpath() and in its read stream, neither of which the agent
 * (or anyone here) calls: Node only throws when that line runs, esbuild refuses to bundle it at all. Declare them
 * with `let`/fix the target so the file parses; behaviour of every function we use is unchanged.
 */
const ext2fsConstFix = {
  name: 'ext2fs-const-fix',
  setup(b) {
    b.onLoad({ filter: /node_modules[\\/]ext2fs[\\/]lib[\\/]fs\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const fixed = source.replace('const toRead = Math.min(pool.length', 'let toRead = Math.min(pool.length').replace('  path = path.resolve(p.toString());', '  p = path.resolve(p.toString());');
      if (fixed === source) throw new Error('ext2fs/lib/fs.js changed: review the const fix in image-build/agent/build.mjs');
      return { contents: fixed, loader: 'js' };
    });
  },
};

await build({
  entryPoints: { 'macula-agent': 'image-build/agent/src/main.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  legalComments: 'eof',
  // Node 18 on the node parses the whole bundle at start, which under software emulation is seconds per megabyte.
  // Whitespace and syntax only: identifiers keep their names (error names, and the DI tokens of @peculiar/x509).
  minifyWhitespace: true,
  minifySyntax: true,
  banner: { js: '#!/usr/bin/env node' },
  // engine/assets.ts finds assets from import.meta.url; the agent never asks it (see the stubs above).
  define: { 'import.meta.url': '"file:///usr/lib/macula/macula-agent.js"' },
  plugins: [writeOnlyStubs, ext2fsConstFix],
  logLevel: 'warning',
});

// Inside this repository the root package.json says "type": "module"; on the node the file stands alone (CommonJS
// by default). Say CommonJS here too, so `node dist/agent/macula-agent.js` runs the same in both places.
await writeFile(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
