import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { access, chmod, copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { BuildOptions } from './options';

/**
 * What goes to /usr/lib/maculaos in the image: the seed applier bundled for the node's Node.js (Debian bookworm's 18),
 * the node agent, built here by `npm run agent:build`'s script (an image without its agent is never made: no node
 * could be discovered or paired), and the k3s binary when given with its hash.
 */

const run = promisify(execFile);

/**
 * Builds the agent into `out` with image-build/agent/build.mjs (what `npm run agent:build` runs), and refuses to go
 * on without its bundle. Built at every image build: a dist/agent/ left from an older checkout is never what ships.
 */
export async function buildAgent(repo: string, out: string): Promise<void> {
  const script = join(repo, 'image-build/agent/build.mjs');
  try {
    await run(process.execPath, [script, out], { cwd: repo, maxBuffer: 16 << 20 });
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ') || (err as Error).message;
    throw new Error(`agent: \`npm run agent:build\` (${script}) failed, and an image without the node agent is refused: ${detail}`);
  }
  const bundle = join(out, 'macula-agent.js');
  if (!(await access(bundle).then(() => true, () => false))) {
    throw new Error(`agent: ${script} made no ${bundle}, and an image without the node agent is refused`);
  }
}
export async function prepareLibexec(options: BuildOptions, repo: string, dir: string, log: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  await build({
    entryPoints: [join(repo, 'image-build/seed-apply/main.ts')],
    outfile: join(dir, 'apply-seed.js'),
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    legalComments: 'none',
    logLevel: 'warning',
  });

  await buildAgent(repo, join(dir, 'agent'));
  log('agent: built and installed as /usr/lib/maculaos/agent/macula-agent.js (maculaos-agent.service)');

  if (options.k3s === undefined) {
    log('k3s: skipped (no --k3s FILE --k3s-sha256 HEX given; the production image pins one, plan §7.4)');
    return;
  }
  const actual = createHash('sha256').update(await readFile(options.k3s.path)).digest('hex');
  if (actual !== options.k3s.sha256) throw new Error(`k3s ${options.k3s.path}: SHA-256 ${actual}, pinned ${options.k3s.sha256}`);
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile(options.k3s.path, join(dir, 'bin/k3s'));
  await chmod(join(dir, 'bin/k3s'), 0o755);
  log(`k3s: ${options.k3s.path} (SHA-256 ${actual}) installed as /usr/lib/maculaos/bin/k3s`);
}
