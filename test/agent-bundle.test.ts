import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildStateFilesystem } from '../electron/engine/seed/state-filesystem';
import { type RunningAgent, startAgent } from '../image-build/agent/src/agent';
import { type NodeFixture, makeNodeFixture } from '../image-build/agent/testing/fixtures';
import { openSession, pinnedRequest } from '../image-build/agent/testing/pinned-client';
import { NODE_API, nodeInfoSchema } from '../shared/fleet/node-api';

/**
 * The seed read the ways a node finds it — a config.yaml, the MACULAOS_STATE filesystem the flasher writes, a disk
 * image holding that partition — and the agent as the OS runs it: the one-file bundle, started with `node`.
 */

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..');
const MiB = 1 << 20;

let fixture: NodeFixture;
let fsImage: string;
let diskImage: string;

beforeAll(async () => {
  fixture = await makeNodeFixture({ hostname: 'bundle-node' });
  const filesystem = await buildStateFilesystem({ configYaml: await readFile(fixture.seedPath, 'utf8') });
  fsImage = join(fixture.dir, 'state.ext4');
  await writeFile(fsImage, filesystem);
  // A disk as the flasher leaves it: some partition first, the state filesystem in partition 2 at 8 MiB.
  diskImage = join(fixture.dir, 'disk.img');
  await writeFile(diskImage, Buffer.alloc(8 * MiB + filesystem.length + MiB));
  await run('sh', ['-c', `printf 'label: dos\\nstart=2048, size=8192, type=c\\nstart=16384, type=83\\n' | sfdisk -q ${diskImage}`]);
  const handle = await open(diskImage, 'r+');
  await handle.write(filesystem, 0, filesystem.length, 8 * MiB);
  await handle.close();
});

afterAll(async () => {
  await fixture.cleanup();
});

describe('seed sources', () => {
  let agent: RunningAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  for (const [what, path] of [
    ['a MACULAOS_STATE filesystem', () => fsImage],
    ['a disk image with the state partition', () => diskImage],
  ] as const) {
    it(`reads the seed from ${what}`, async () => {
      agent = await startAgent({ seed: path(), stateDir: join(fixture.dir, `state-${what.length}`), host: '127.0.0.1', port: 0, mdns: false, osVersion: '0.1.0' });
      expect(agent.nodeId).toBe(fixture.nodeId);
      expect(agent.hostname).toBe('bundle-node');
      await openSession({ host: '127.0.0.1', port: agent.port, pin: agent.fingerprint }, fixture.keyBytes);
    });
  }

  it('starts from a seed without a pairing key as a node waiting to be adopted, not as an open API', async () => {
    const path = join(fixture.dir, 'nokey.yaml');
    await writeFile(path, '#cloud-config\nhostname: lonely\nmaculaos:\n  pairing:\n    node_id: lonely-node-1\n');
    const agent = await startAgent({ seed: path, stateDir: join(fixture.dir, 'nokey'), port: 0, host: '127.0.0.1', mdns: false, osVersion: '0.1.0' });
    try {
      expect(agent.hostname).toBe('lonely');
      expect(agent.txt).toContain('st=unadopted');
      expect(agent.setupCode.kind).toBe('open');
    } finally {
      await agent.close();
    }
  });
});

describe('the bundled agent (dist/agent/macula-agent.js)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGTERM');
    child = undefined;
  });

  it('builds into one file that runs with node alone, reading the seed from the state filesystem', async () => {
    const out = join(fixture.dir, 'bundle');
    await run(process.execPath, [join(repo, 'image-build/agent/build.mjs'), out], { cwd: repo });
    const bundle = join(out, 'macula-agent.js');
    // The bundle sits under the temp folder, where no node_modules can be found: it runs as one file or not at all.
    const proc = spawn(process.execPath, [bundle, '--seed', fsImage, '--state-dir', join(fixture.dir, 'bundle-state'), '--port', '0', '--host', '127.0.0.1', '--no-mdns', '--no-pair-on-start'], {
      cwd: fixture.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const lines: string[] = [];
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const listening = await new Promise<{ port: number; fingerprint: string; node_id: string }>((resolve, reject) => {
      const rl = createInterface({ input: proc.stdout ?? process.stdin });
      rl.on('line', (line) => {
        lines.push(line);
        if (line.startsWith('{')) resolve(JSON.parse(line) as { port: number; fingerprint: string; node_id: string });
      });
      proc.once('exit', (code) => reject(new Error(`agent exited ${code}: ${stderr}`)));
    });
    expect(listening.node_id).toBe(fixture.nodeId);
    const banner = lines.join('\n');
    expect(banner).toContain('Welcome to MaculaOS');
    expect(banner).toContain('bundle-node');
    expect(banner).not.toContain(fixture.key);

    const target = { host: '127.0.0.1', port: listening.port, pin: listening.fingerprint };
    const info = nodeInfoSchema.parse((await pinnedRequest(target, 'GET', NODE_API.info.path)).json());
    expect(info).toMatchObject({ node_id: fixture.nodeId, state: 'unpaired' });
    await openSession(target, fixture.keyBytes);
  });
});
