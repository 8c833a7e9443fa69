import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { macula } from './helpers/cli';
import { Loops } from './helpers/loops';
import { NetnsLab, type NsProcess, netnsUnavailable } from './helpers/netns';
import { rpiStyleImage } from './helpers/os-images';
import { throwawayCa } from './helpers/throwaway-ca';

/**
 * Issue 14 item 2, as the attacker wrote it: one Portal sign-in minted one enrollment token and a batch flash copied it
 * into every target's seed, so nodes 2..N ended in enrollment_token_refused. Here `macula flash` of three real loop
 * devices with `--portal-sign-in` (the device flow on the desktop's terminal, approved on the contract Portal over
 * https) must seed each target with a token of its own, and three real node agents, each in its own network
 * namespace reading its seed straight off its stick, must all end paired. A token redeemed a second time is refused.
 * And a pasted single-use token for two targets is refused before anything is written.
 *
 *   lan 10.77.15.0/24: desktop + Portal .1, nodes .11 .12 .13 (.14: a second boot of node 1's stick)
 */

const skip = netnsUnavailable();
if (skip) console.warn(`flash-batch-tokens-netns: skipped — ${skip}`);

const DESKTOP = '10.77.15.1';
const PORTAL_PORT = 8782;
const API_PORT = 8443;
const MiB = 1 << 20;

function exitCode(proc: NsProcess): Promise<number> {
  if (proc.exited) return Promise.resolve(proc.child.exitCode ?? 1);
  return new Promise((resolve) => proc.child.once('exit', (code) => resolve(code ?? 1)));
}

describe.skipIf(skip !== undefined)('a batch flash signed in once: one enrollment token per node, every node paired', () => {
  let lab: NetnsLab;
  let desktop: string;
  let dir: string;
  let portal: NsProcess;
  const loops = new Loops();
  const portalUrl = `https://${DESKTOP}:${PORTAL_PORT}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcl-batch-'));
    lab = new NetnsLab();
    desktop = lab.addHost('bd', [{ ifname: 'eth0', lan: 'blan', cidr: `${DESKTOP}/24` }]);
    const ca = await throwawayCa(dir, DESKTOP);
    await writeFile(join(dir, 'ca.pem'), ca.caCert);
    await writeFile(join(dir, 'portal.key'), ca.serverKey, { mode: 0o600 });
    await writeFile(join(dir, 'portal.pem'), ca.serverCert);
    portal = lab.spawnNode(desktop, 'test/helpers/portal-https-host.ts', [DESKTOP, String(PORTAL_PORT), join(dir, 'portal.key'), join(dir, 'portal.pem')]);
    await portal.waitFor((l) => l.includes('"origin"'), 30_000);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    await loops.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('flashes three sticks with --portal-sign-in; the three nodes each redeem their own token and end paired', async () => {
    const image = await rpiStyleImage(dir);
    const targets = await Promise.all([1, 2, 3].map((n) => loops.create(join(dir, `stick-${n}.img`), 128 * MiB)));
    const flash = lab.spawnNode(
      desktop,
      'electron/cli/macula.ts',
      ['flash', image.path, ...targets.flatMap((t) => ['--to', t]), '--hostname', 'batch-{nn}', '--portal-url', portalUrl, '--portal-sign-in', '--ca', join(dir, 'ca.pem'), '--yes', '--json', '--no-eject'],
      { MACULA_FLEET_DIR: join(dir, 'fleet') },
    );
    // One sign-in: the code is printed on the desktop's terminal and approved on the Portal.
    const shown = JSON.parse(await flash.waitFor((l) => l.includes('"user_code"'), 60_000)) as { user_code: string; verification_uri: string };
    expect(shown.verification_uri).toBe(`${portalUrl}/device`);
    const from = portal.lines.length;
    portal.write(`approve ${shown.user_code}`);
    await portal.waitFor((l) => l.includes('"approved"'), 10_000, from);
    expect(await exitCode(flash), flash.lines.join('\n')).toBe(0);
    expect(flash.events().filter((e) => e['event'] === 'user_code')).toHaveLength(1);
    const minted = flash.events().find((e) => e['event'] === 'enrollment_tokens') as { count: number; nodeIds: string[] } | undefined;
    expect(minted?.count).toBe(3);
    const seeded = flash.events().filter((e) => e['event'] === 'target').map((e) => (e['seed'] as { nodeId: string; hostname: string }));
    expect(seeded.map((s) => s.hostname)).toEqual(['batch-01', 'batch-02', 'batch-03']);
    expect(minted?.nodeIds).toEqual(seeded.map((s) => s.nodeId));
    // No token reaches the terminal.
    expect(flash.lines.join('\n')).not.toMatch(/enr_[A-Za-z0-9_-]{8,}/);

    // Each stick boots a node (its own namespace, its seed read off the stick), which redeems its token at start.
    const nodes = targets.map((stick, i) => {
      const address = `10.77.15.${11 + i}`;
      const ns = lab.addHost(`bn${i}`, [{ ifname: 'eth0', lan: 'blan', cidr: `${address}/24` }]);
      const config = { seed: stick, stateDir: join(dir, `state-${i}`), host: address, port: API_PORT, portalUrl, pairOnStart: true };
      return lab.spawnNode(ns, 'test/helpers/agent-host.ts', [JSON.stringify(config)], { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
    });
    const ends = await Promise.all(nodes.map((n) => n.waitFor((l) => l.includes('"paired"') || l.includes('"failed"'), 60_000)));
    expect(ends.map((l) => (JSON.parse(l) as { state: string }).state)).toEqual(['paired', 'paired', 'paired']);
    const redeemed = portal.events().filter((e) => e['redeemed'] !== undefined) as { token_hash: string; node_id: string; minted_for: string | null }[];
    expect(redeemed.map((r) => r.node_id).sort()).toEqual(seeded.map((s) => s.nodeId).sort());
    expect(new Set(redeemed.map((r) => r.token_hash)).size).toBe(3);
    for (const r of redeemed) expect(r.minted_for).toBe(r.node_id);
    for (const [i, n] of nodes.entries()) {
      const credentials = JSON.parse(await readFile(join(dir, `state-${i}`, 'credentials', 'portal.json'), 'utf8')) as Record<string, unknown>;
      expect(credentials).toMatchObject({ method: 'enrollment_token', node_id: seeded[i]?.nodeId });
      await n.kill();
    }

    // The first stick booted again with a fresh state (reflashed node, cloned stick): its token is spent.
    const ns = lab.addHost('bn9', [{ ifname: 'eth0', lan: 'blan', cidr: '10.77.15.14/24' }]);
    const config = { seed: targets[0], stateDir: join(dir, 'state-again'), host: '10.77.15.14', port: API_PORT, portalUrl, pairOnStart: true };
    const again = lab.spawnNode(ns, 'test/helpers/agent-host.ts', [JSON.stringify(config)], { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
    const end = await again.waitFor((l) => l.includes('"paired"') || l.includes('"failed"'), 60_000);
    expect(JSON.parse(end)).toMatchObject({ state: 'failed', st: 'unpaired' });
    expect(portal.events().some((e) => e['request'] === 'POST /api/console/pair' && e['status'] === 409)).toBe(true);
  }, 240_000);
});

describe('a pasted enrollment token for several targets', () => {
  it('is refused before anything is written, naming --portal-sign-in', async () => {
    const work = await mkdtemp(join(tmpdir(), 'mcl-pasted-'));
    try {
      await writeFile(join(work, 'token.txt'), 'enroll-0123456789abcdef0123456789abcdef\n');
      // Two targets that are plain files with known content: the refusal must come before either is opened.
      const content = Buffer.alloc(1 * MiB, 0x5a);
      const targets = [join(work, 'a.img'), join(work, 'b.img')];
      for (const t of targets) await writeFile(t, content);
      await writeFile(join(work, 'image.img'), Buffer.alloc(1 * MiB, 0x11));
      const run = await macula(
        ['flash', join(work, 'image.img'), '--to', targets[0] ?? '', '--to', targets[1] ?? '', '--hostname', 'n-{nn}', '--portal-url', 'https://portal.example.com',
          '--portal-token', `@${join(work, 'token.txt')}`, '--yes', '--json'],
        { MACULA_FLEET_DIR: join(work, 'fleet') },
      );
      expect(run.code, run.stderr).toBe(5);
      expect(run.stdout + run.stderr).toMatch(/enrollment token is redeemable once.*2 targets.*--portal-sign-in/s);
      for (const t of targets) expect(createHash('sha256').update(await readFile(t)).digest('hex')).toBe(createHash('sha256').update(content).digest('hex'));
      expect(run.stdout + run.stderr).not.toContain('enroll-0123456789abcdef');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);
});
