import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeFixture, makeNodeFixture } from '../image-build/agent/testing/fixtures';
import { NetnsLab, type NsProcess, netnsUnavailable } from './helpers/netns';
import { throwawayCa } from './helpers/throwaway-ca';

/**
 * Issue 14 item 4, as a node on a real LAN meets it: the node boots before its Portal is reachable (the Portal's
 * host is still starting, or the uplink is not up yet) and before its clock is set. The agent used to try its seeded
 * token once, fail with portal_unreachable, and stay unpaired until someone came with a desktop. Here the real agent
 * runs in its own network namespace with pairOnStart, as on the node: it must wait for the clock (a file standing for
 * timesyncd's marker), then try, keep trying with back-off while the Portal refuses connections, and pair by itself
 * once the Portal (https, in the desktop's namespace) comes up — saying `waiting` in between, `st=pairing` in TXT.
 *
 *   lan 10.77.23.0/24: Portal host .1, node .11
 */

const skip = netnsUnavailable();
if (skip) console.warn(`agent-boot-pairing-netns: skipped — ${skip}`);

const PORTAL = '10.77.23.1';
const NODE = '10.77.23.11';
const PORTAL_PORT = 8783;
const TOKEN = `enroll-${'b'.repeat(32)}`;

interface StateLine {
  readonly state: string;
  readonly waiting_for?: string;
  readonly st?: string;
}

function states(agent: NsProcess): StateLine[] {
  return agent.events().filter((e) => typeof e['state'] === 'string') as unknown as StateLine[];
}

describe.skipIf(skip !== undefined)('a node that boots before its Portal is reachable', () => {
  let lab: NetnsLab;
  let dir: string;
  let fixture: NodeFixture;
  let portalNs: string;
  let nodeNs: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcl-bootpair-'));
    fixture = await makeNodeFixture({ enrollmentToken: TOKEN });
    lab = new NetnsLab(`mbp${process.pid}-`);
    portalNs = lab.addHost('p', [{ ifname: 'eth0', lan: 'bplan', cidr: `${PORTAL}/24` }]);
    nodeNs = lab.addHost('n', [{ ifname: 'eth0', lan: 'bplan', cidr: `${NODE}/24` }]);
    const ca = await throwawayCa(dir, PORTAL);
    await writeFile(join(dir, 'ca.pem'), ca.caCert);
    await writeFile(join(dir, 'portal.key'), ca.serverKey, { mode: 0o600 });
    await writeFile(join(dir, 'portal.pem'), ca.serverCert);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    await fixture?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('waits for the clock, retries with back-off while the Portal is down, and pairs once it is up', async () => {
    const marker = join(dir, 'timesync-synchronized');
    const config = {
      seed: fixture.seedPath,
      stateDir: fixture.stateDir,
      host: NODE,
      port: 8443,
      portalUrl: `https://${PORTAL}:${PORTAL_PORT}`,
      pairOnStart: true,
      clockMarker: marker,
      clockBoundMs: 10 * 60_000,
    };
    const agent = lab.spawnNode(nodeNs, 'test/helpers/agent-host.ts', [JSON.stringify(config)], { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
    await agent.waitFor((l) => l.includes('"listening"'), 30_000);

    // No synchronised clock yet: the node waits, and tells the LAN it is pairing itself.
    await agent.waitFor((l) => l.includes('"waiting_for":"clock"'), 15_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(states(agent).map((s) => s.state)).not.toContain('redeeming');

    // timesyncd synchronises. The Portal is not listening yet: connection refused, then a wait for the back-off.
    await writeFile(marker, '');
    await agent.waitFor((l) => l.includes('"waiting_for":"retry"'), 30_000);
    // A second refusal, so the node has shown it keeps at it (the old agent tried once and stayed failed).
    const from = agent.lines.length;
    await agent.waitFor((l) => l.includes('"waiting_for":"retry"'), 30_000, from);

    const portal = lab.spawnNode(portalNs, 'test/helpers/portal-https-host.ts', [PORTAL, String(PORTAL_PORT), join(dir, 'portal.key'), join(dir, 'portal.pem'), TOKEN]);
    await portal.waitFor((l) => l.includes('"origin"'), 30_000);
    // The back-off is at most 20 s by the third attempt (5 s, 10 s, 20 s ceilings): the node pairs on its own.
    await agent.waitFor((l) => l.includes('"state":"paired"'), 60_000);
    expect(portal.events().find((e) => e['redeemed'] !== undefined)).toMatchObject({ node_id: fixture.nodeId });

    const seen = states(agent);
    expect(seen.map((s) => s.state)).not.toContain('failed');
    // Every wait was advertised as pairing, and paired once paired.
    for (const s of seen.filter((x) => x.state === 'waiting')) expect(s.st).toBe('pairing');
    expect(seen.at(-1)).toMatchObject({ state: 'paired', st: 'paired' });
    const credentials = JSON.parse(await readFile(join(fixture.stateDir, 'credentials', 'portal.json'), 'utf8')) as Record<string, unknown>;
    expect(credentials).toMatchObject({ method: 'enrollment_token', node_id: fixture.nodeId });
    await agent.kill();
  }, 180_000);
});
