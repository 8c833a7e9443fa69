import { cp, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareLibexec } from './libexec';
import { parseOptions } from './options';

const repo = resolve(import.meta.dirname, '../..');

/** What goes to /usr/lib/maculaos: the build must never make an image whose node has no agent (issue 17 item 6). */
describe('prepareLibexec', () => {
  let dir: string;
  const options = parseOptions(['--arch', 'amd64', '--variant', 'airgapped'], {});
  const lines: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'libexec-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the agent itself, with no dist/agent/ made beforehand', async () => {
    await prepareLibexec(options, repo, join(dir, 'ok'), (l) => lines.push(l));
    expect((await stat(join(dir, 'ok/agent/macula-agent.js'))).size).toBeGreaterThan(10_000);
    expect((await stat(join(dir, 'ok/apply-seed.js'))).size).toBeGreaterThan(1_000);
    expect(lines.join('\n')).toMatch(/agent: built and installed/);
  });

  it('refuses to go on when the agent cannot be built', async () => {
    // A checkout whose agent build fails: the seed applier is there, the agent's build script exits 1.
    const broken = join(dir, 'broken-repo');
    await cp(join(repo, 'image-build/seed-apply'), join(broken, 'image-build/seed-apply'), { recursive: true });
    await cp(join(repo, 'shared'), join(broken, 'shared'), { recursive: true });
    await symlink(join(repo, 'node_modules'), join(broken, 'node_modules'));
    await mkdir(join(broken, 'image-build/agent'), { recursive: true });
    await writeFile(join(broken, 'image-build/agent/build.mjs'), "console.error('esbuild: Could not resolve \"x\"'); process.exit(1);\n");
    await expect(prepareLibexec(options, broken, join(dir, 'bad'), () => undefined)).rejects.toThrow(
      /agent: `npm run agent:build` .* failed, and an image without the node agent is refused: esbuild: Could not resolve/,
    );
  });
});
