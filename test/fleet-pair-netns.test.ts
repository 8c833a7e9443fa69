import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeedYaml, seedToYaml } from '../shared/seed-yaml';
import { expandSeeds } from '../shared/seed-batch';
import { recordFlashedNode } from '../electron/engine/fleet/record-flashed-node';
import { FleetInventory } from '../electron/engine/fleet/inventory';
import { NetnsLab, type NsProcess, netnsUnavailable } from './helpers/netns';

/**
 * `macula pair` end to end over a real network: the real node agent (image-build/agent) in its own namespace,
 * advertising over mDNS and serving its TLS API; the Portal contract server and the desktop CLI in another; a bridge
 * between them. Covers the seeded-token path, the device flow shown on the desktop (no phone), and impostors.
 *
 *   lan 10.77.5.0/24: desktop + Portal .1, node .11, impostor .12
 */

const skip = netnsUnavailable();
if (skip) console.warn(`fleet-pair-netns: skipped — ${skip}`);

const DESKTOP = '10.77.5.1';
const PORTAL_PORT = 8780;
const API_PORT = 8443;

function exitCode(proc: NsProcess): Promise<number> {
  if (proc.exited) return Promise.resolve(proc.child.exitCode ?? 1);
  return new Promise((resolve) => proc.child.once('exit', (code) => resolve(code ?? 1)));
}

describe.skipIf(skip !== undefined)('macula pair against the real agent across network namespaces', () => {
  let lab: NetnsLab;
  let desktop: string;
  let nodeNs: string;
  let impostorNs: string;
  let portal: NsProcess;
  let dir: string;
  let fleetDir: string;
  const portalUrl = `http://${DESKTOP}:${PORTAL_PORT}`;

  /** A seed for one node as `macula flash` makes it, recorded in the desktop's inventory as flash does. */
  async function flashedSeed(hostname: string, token?: string, record = true): Promise<{ path: string; nodeId: string; key: string }> {
    const portalPart = token ? `  portal:\n    url: https://portal.example.com\n    enrollment_token: ${token}\n` : `  portal:\n    url: https://portal.example.com\n`;
    const base = parseSeedYaml(`#cloud-config\nhostname: ${hostname}\nmaculaos:\n  timezone: UTC\n${portalPart}`, 'test');
    const [seed] = expandSeeds(base, 1, { random: (n) => randomBytes(n) });
    const nodeId = seed?.maculaos.pairing?.node_id;
    const key = seed?.maculaos.pairing?.key;
    if (!seed || nodeId === undefined || key === undefined) throw new Error('no pairing in the expanded seed');
    const path = join(dir, `${hostname}-${nodeId.slice(0, 8)}.yaml`);
    writeFileSync(path, seedToYaml(seed));
    if (record) {
      await recordFlashedNode({ nodeId, hostname, imageName: 'maculaos-test.iso', imageSha256: '0'.repeat(64), seededAt: new Date(), pairingKey: key }, fleetDir);
    }
    return { path, nodeId, key };
  }

  async function startNode(ns: string, address: string, seed: string, stateDir: string): Promise<{ proc: NsProcess; fingerprint: string }> {
    const proc = lab.spawnNode(ns, 'test/helpers/agent-host.ts', [JSON.stringify({ seed, stateDir, host: address, port: API_PORT, portalUrl })]);
    const line = await proc.waitFor((l) => l.includes('"listening"'), 30_000);
    return { proc, fingerprint: (JSON.parse(line) as { fingerprint: string }).fingerprint };
  }

  const pair = (target: string, extra: string[] = []): NsProcess =>
    lab.spawnNode(desktop, 'electron/cli/macula.ts', ['pair', target, '--json', '--find-timeout', '15', ...extra], { MACULA_FLEET_DIR: fleetDir });

  beforeAll(async () => {
    lab = new NetnsLab();
    desktop = lab.addHost('pd', [{ ifname: 'eth0', lan: 'plan', cidr: `${DESKTOP}/24` }]);
    nodeNs = lab.addHost('pn', [{ ifname: 'eth0', lan: 'plan', cidr: '10.77.5.11/24' }]);
    impostorNs = lab.addHost('px', [{ ifname: 'eth0', lan: 'plan', cidr: '10.77.5.12/24' }]);
    dir = mkdtempSync(join(tmpdir(), 'mcl-pair-'));
    fleetDir = join(dir, 'fleet');
    portal = lab.spawnNode(desktop, 'test/helpers/portal-host.ts', [DESKTOP, String(PORTAL_PORT), 'enroll-token-0123456789abcdef']);
    await portal.waitFor((l) => l.includes('"origin"'), 30_000);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('redeems the seeded enrollment token: the node proves its key, is pinned, and ends paired with 0600 credentials', async () => {
    const seed = await flashedSeed('pair-node-1', 'enroll-token-0123456789abcdef');
    const stateDir = join(dir, 'state-1');
    const node = await startNode(nodeNs, '10.77.5.11', seed.path, stateDir);
    const started = performance.now();
    const run = pair('pair-node-1');
    const code = await exitCode(run);
    console.log(`fleet-pair-netns: found and paired by token in ${Math.round(performance.now() - started)} ms`);
    expect(code, run.lines.join('\n')).toBe(0);
    expect(run.events().find((e) => e['event'] === 'paired')).toMatchObject({ nodeId: seed.nodeId, user_name: expect.any(String) });
    const credentials = join(stateDir, 'credentials', 'portal.json');
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'credentials')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(credentials, 'utf8'))).toMatchObject({ refresh_token: expect.any(String) });
    expect(run.lines.join('\n')).not.toContain(seed.key);
    const inventory = FleetInventory.open(fleetDir);
    try {
      expect(inventory.node(seed.nodeId)?.pinned_fingerprint).toBe(node.fingerprint);
    } finally {
      inventory.close();
    }
    // Paired: the node now says so on the LAN.
    const watch = lab.spawnNode(desktop, 'electron/cli/macula.ts', ['discover', '--json', '--timeout', '4'], { MACULA_FLEET_DIR: fleetDir });
    expect(await exitCode(watch)).toBe(0);
    const seen = watch.events().find((e) => (e['node'] as { nodeId?: string } | undefined)?.nodeId === seed.nodeId) as { node: { txt: { state: string } } } | undefined;
    expect(seen?.node.txt.state).toBe('paired');
    await node.proc.kill();
  }, 90_000);

  it('runs the device flow from the desktop: shows the user code, and pairs once it is approved on the Portal', async () => {
    const seed = await flashedSeed('pair-node-2');
    const node = await startNode(nodeNs, '10.77.5.11', seed.path, join(dir, 'state-2'));
    const run = pair(seed.nodeId);
    const line = await run.waitFor((l) => l.includes('"user_code"'), 45_000);
    const shown = JSON.parse(line) as { user_code: string; verification_uri: string; verification_uri_complete: string | null };
    expect(shown.verification_uri).toContain(portalUrl);
    expect(shown.verification_uri_complete).toContain(encodeURIComponent(shown.user_code).slice(0, 4));
    // The link the desktop shows is bound to the node it pinned: approving through it names that node to the Portal.
    const link = new URL(shown.verification_uri_complete ?? '');
    expect([link.searchParams.get('node_id'), link.searchParams.get('node_fingerprint')]).toEqual([seed.nodeId, node.fingerprint]);
    const from = portal.lines.length;
    portal.write(`approve ${shown.user_code} ${seed.nodeId} ${node.fingerprint}`);
    await portal.waitFor((l) => l.includes('"approved"'), 10_000, from);
    expect(await exitCode(run), run.lines.join('\n')).toBe(0);
    expect(run.events().some((e) => e['event'] === 'paired')).toBe(true);
    await node.proc.kill();
  }, 120_000);

  it('refuses a node that answers with a flashed node id but cannot prove its key: nothing is sent to it', async () => {
    const genuine = await flashedSeed('pair-node-3');
    // The impostor claims the same id and name, with a key of its own (it never saw the genuine seed's key).
    const forged = readFileSync(genuine.path, 'utf8').replace(genuine.key, randomBytes(32).toString('base64url'));
    const forgedPath = join(dir, 'forged.yaml');
    writeFileSync(forgedPath, forged);
    const impostor = await startNode(impostorNs, '10.77.5.12', forgedPath, join(dir, 'state-x'));
    const run = pair('pair-node-3');
    expect(await exitCode(run)).toBe(3);
    expect(run.lines.join('\n')).toMatch(/cannot prove the pairing key.*nothing was sent/);
    // It never got our proof, so it never opened a session: it is still waiting, unpaired.
    expect(impostor.proc.events().some((e) => e['state'] !== undefined && e['state'] !== 'idle')).toBe(false);
    const inventory = FleetInventory.open(fleetDir);
    try {
      expect(inventory.node(genuine.nodeId)?.pinned_fingerprint ?? null).toBeNull();
    } finally {
      inventory.close();
    }
    await impostor.proc.kill();
  }, 90_000);

  it('refuses, without contacting it, a node whose certificate differs from the one pinned', async () => {
    // pair-node-1 was paired and pinned above; another certificate now advertises its id and name.
    const inventory = FleetInventory.open(fleetDir);
    const pinnedNode = inventory.list().find((n) => n.node.hostname === 'pair-node-1')?.node;
    inventory.close();
    if (!pinnedNode) throw new Error('pair-node-1 is not in the inventory');
    const fake = (await flashedSeed('pair-node-1', undefined, false)).path;
    const text = readFileSync(fake, 'utf8').replace(/node_id: .*/, `node_id: ${pinnedNode.node_id}`);
    writeFileSync(fake, text);
    const impostor = await startNode(impostorNs, '10.77.5.12', fake, join(dir, 'state-y'));
    const run = pair('pair-node-1');
    expect(await exitCode(run)).toBe(3);
    expect(run.lines.join('\n')).toMatch(/contradicts what this desktop knows/);
    await impostor.proc.kill();
  }, 90_000);
});
