import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type WriterLaunch, writerLaunch } from '../engine/app/writer-launch';

/**
 * The writer for the browser shell: the `macula` CLI bundled beside this code (dist/cli/macula.js, next to the
 * start.js this module is bundled into), or the CLI sources under tsx when running from the repository. Elevation
 * itself is the engine's one policy (electron/engine/app/writer-launch.ts).
 */
export function appWriterLaunch(): WriterLaunch {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = join(here, 'macula.js');
  if (existsSync(bundled)) return writerLaunch({ node: [process.execPath], script: bundled });
  return writerLaunch({ node: [process.execPath, '--import', 'tsx'], script: join(here, '..', 'cli', 'macula.ts') });
}
