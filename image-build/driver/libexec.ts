import { createHash } from 'node:crypto';
import { access, chmod, copyFile, cp, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { BuildOptions } from './options';

/**
 * What goes to /usr/lib/maculaos in the image: the seed applier bundled for the node's Node.js (Debian bookworm's 18),
 * the node agent when `npm run agent:build` has made it (dist/agent/), and the k3s binary when given with its hash.
 */
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

  const agentDir = join(repo, 'dist/agent');
  if (await access(join(agentDir, 'macula-agent.js')).then(() => true, () => false)) {
    await cp(agentDir, join(dir, 'agent'), { recursive: true });
    log('agent: dist/agent/macula-agent.js installed as /usr/lib/maculaos/agent/macula-agent.js (maculaos-agent.service)');
  } else {
    log('agent: skipped (dist/agent/macula-agent.js not built; `npm run agent:build` makes it)');
  }

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
