import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NetnsLab, type NsProcess, netnsUnavailable } from './helpers/netns';

/**
 * What `macula discover` puts on the wire, seen by scripted peers (test/helpers/mdns-peer.ts) on a LAN between
 * network namespaces, one rule of RFC 6762 each: known answers in its queries (§7.1) and over several packets with the
 * TC bit (§7.2), instances resolved by name when a responder sends PTRs alone (RFC 6763 §4, paced by §5.2), and its
 * own query held back when another host just asked the same (§7.3) — but not for a host listing answers we lack.
 * Subnet 10.84.1.0/24 and namespaces `mcr-PID-*`, used by no other test.
 */

const skip = netnsUnavailable();
if (skip) console.warn(`fleet-discovery-rfc: skipped — ${skip}`);

const SERVICE = '_macula._tcp.local';
const DESKTOP = '10.84.1.1';

interface HeardQuery {
  readonly query: { readonly tc: boolean; readonly questions: string[]; readonly known: string[]; readonly bytes: number };
  readonly from: string;
  readonly at: number;
}

describe.skipIf(skip !== undefined)('the browser on the wire (RFC 6762 §5.2, §7.1–7.3)', () => {
  let lab: NetnsLab | undefined;
  let fleetDir: string | undefined;

  afterEach(async () => {
    await lab?.destroy();
    if (fleetDir) rmSync(fleetDir, { recursive: true, force: true });
  });

  /** A LAN with the desktop and one namespace per peer config; returns the peers and the watching `discover`. */
  async function setUp(peers: ReadonlyArray<Record<string, unknown>>): Promise<{ peers: NsProcess[]; watcher: NsProcess; started: number }> {
    lab = new NetnsLab(`mcr-${process.pid}-`);
    fleetDir = mkdtempSync(join(tmpdir(), 'mcl-rfc-'));
    const desktop = lab.addHost('d', [{ ifname: 'eth1', lan: 'lan1', cidr: `${DESKTOP}/24` }]);
    const procs = peers.map((config, i) => {
      const address = `10.84.1.${11 + i}`;
      const ns = lab!.addHost(`p${i}`, [{ ifname: 'eth1', lan: 'lan1', cidr: `${address}/24` }]);
      return lab!.spawnNode(ns, 'test/helpers/mdns-peer.ts', [JSON.stringify({ address, ...config })]);
    });
    await Promise.all(procs.map((p) => p.waitFor((l) => l === 'ready', 20_000)));
    const watcher = lab.spawnNode(desktop, 'electron/cli/macula.ts', ['discover', '--watch', '--json'], { MACULA_FLEET_DIR: fleetDir });
    await watcher.waitFor((l) => l.includes('"watching"'), 30_000);
    return { peers: procs, watcher, started: Date.now() };
  }

  const heard = (peer: NsProcess): HeardQuery[] => peer.events().filter((e): e is Record<string, unknown> & HeardQuery => e['from'] === DESKTOP);
  const ups = (watcher: NsProcess): string[] => watcher.events().flatMap((e) => (e['event'] === 'up' ? [String((e['node'] as { nodeId: string }).nodeId)] : []));
  const browses = (queries: HeardQuery[]): HeardQuery[] => queries.filter((q) => q.query.questions.includes(`PTR ${SERVICE}`));
  const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

  it('lists what it holds as known answers, over several packets with TC set on all but the last (§7.1, §7.2)', async () => {
    const { peers, watcher } = await setUp([{ mode: 'full', count: 150, prefix: 'ka' }]);
    const peer = peers[0]!;
    await watcher.waitFor(() => new Set(ups(watcher)).size === 150, 15_000);
    // The browse query after the answers came: continuous querying asks again at 1 s (§5.2).
    await peer.waitFor(() => browses(heard(peer)).length >= 2, 10_000);
    await sleep(500);
    const queries = heard(peer);
    const second = queries.indexOf(browses(queries)[1]!);
    const list: HeardQuery[] = [];
    for (const q of queries.slice(second)) {
      if (list.length > 0 && q.query.questions.length > 0) break;
      list.push(q);
      if (!q.query.tc) break;
    }
    const known = list.flatMap((q) => q.query.known);
    console.log(`known-answer list: ${known.length} PTRs in ${list.length} packets of ${list.map((q) => q.query.bytes).join(', ')} bytes`);
    expect(new Set(known).size).toBe(150);
    expect(known.every((k) => k.startsWith(`PTR ${SERVICE} ka-`))).toBe(true);
    expect(list.length).toBeGreaterThan(1);
    expect(list.slice(0, -1).every((q) => q.query.tc)).toBe(true);
    expect(list.at(-1)?.query.tc).toBe(false);
    expect(list.every((q) => q.query.bytes <= 1472)).toBe(true);
  });

  it('resolves instances whose PTR came alone by asking SRV and TXT by name, backing off for one that never answers (§5.2)', async () => {
    const { peers, watcher, started } = await setUp([{ mode: 'ptr-only', count: 30, prefix: 'po', mute: ['po-0007'] }]);
    const peer = peers[0]!;
    await watcher.waitFor(() => new Set(ups(watcher)).size === 29, 10_000);
    expect(ups(watcher)).not.toContain('po-0007');
    await sleep(Math.max(0, started + 8000 - Date.now()));
    const asks = heard(peer).filter((q) => q.query.questions.includes(`SRV po-0007.${SERVICE}`)).map((q) => q.at);
    const gaps = asks.slice(1).map((t, i) => t - asks[i]!);
    console.log(`SRV of the silent instance asked ${asks.length} times in 8 s, gaps ${gaps.join(', ')} ms`);
    expect(asks.length).toBeGreaterThanOrEqual(3);
    expect(asks.length).toBeLessThanOrEqual(5);
    // At least a second apart, then doubling (within timer slack).
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(1000 * 2 ** i - 300));
  });

  it('holds its own browse query back while another host asks the same with no answer it lacks (§7.3)', async () => {
    const { peers, watcher } = await setUp([
      { mode: 'full', count: 5, prefix: 'dq' },
      { mode: 'browser', everyMs: 400 },
    ]);
    await watcher.waitFor(() => new Set(ups(watcher)).size === 5, 10_000);
    await sleep(8000);
    const ours = browses(heard(peers[0]!));
    console.log(`with another browser asking every 400 ms: ${ours.length} browse queries of ours in ~8 s`);
    expect(ours.length).toBeLessThanOrEqual(1);
  });

  it('is not silenced by a host whose query lists an answer it does not hold', async () => {
    const { peers, watcher } = await setUp([
      { mode: 'full', count: 5, prefix: 'dn' },
      { mode: 'browser', everyMs: 400, known: [`rogue.${SERVICE}`] },
    ]);
    await watcher.waitFor(() => new Set(ups(watcher)).size === 5, 10_000);
    await sleep(8000);
    const ours = browses(heard(peers[0]!));
    console.log(`with a browser listing an answer we lack: ${ours.length} browse queries of ours in ~8 s`);
    expect(ours.length).toBeGreaterThanOrEqual(3);
  });
});
