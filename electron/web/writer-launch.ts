import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ENGINE_NODE_FLAGS } from '../engine/app/engine-node-flags';
import { type WriterLaunch, writerLaunch } from '../engine/app/writer-launch';

/**
 * The writer for the browser shell: the `macula` CLI bundled beside this code (dist/cli/macula.js, next to the
 * start.js this module is bundled into), or the CLI sources under tsx when running from the repository. Elevation
 * itself is the engine's one policy (electron/engine/app/writer-launch.ts); the writer runs with the engine's Node
 * options (engine-node-flags.ts).
 */
export function appWriterLaunch(): WriterLaunch {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = join(here, 'macula.js');
  if (existsSync(bundled)) return writerLaunch({ node: [process.execPath, ...ENGINE_NODE_FLAGS], script: bundled });
  // tsx by its absolute URL, not `--import tsx`: pkexec starts the writer in root's home directory, where a bare
  // specifier finds no node_modules (ERR_MODULE_NOT_FOUND, the flash failed as any non-root user; writer-pkexec.test.ts).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return writerLaunch({ node: [process.execPath, ...ENGINE_NODE_FLAGS, '--import', tsx], script: join(here, '..', 'cli', 'macula.ts') });
}
