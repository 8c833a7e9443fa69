import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsLab, type NsProcess, netnsUnavailable } from '../test/helpers/netns';

/**
 * `npm run bench -- discovery-scale` (issue 19): `macula discover --watch --json` against N = 100, 500 and 1,000
 * `_macula._tcp` services on one LAN between network namespaces, published by
 *   - python-zeroconf (Debian's python3-zeroconf), a responder nobody here wrote, one process (test/helpers/zeroconf-responder.py);
 *   - our agent's responder, bonjour-service as advertiser.ts uses it, several services per socket (test/helpers/agent-fleet.ts).
 * It prints found/N, the time from `watching` to the last node's `up` (goal: all within 5 s), `down`s during the
 * window (goal 0: nodes kept, not flapping), packets and bytes per second on the desktop's link (both ways, from the
 * namespace's /proc/net/dev), and the desktop process's CPU over the window (goal: under one core). Not a test:
 * nothing here asserts. Needs root; every namespace and process started here is removed on the way out.
 */

const SIZES = (process.env['BENCH_DISCOVERY_SCALE_N'] ?? '100,500,1000').split(',').map(Number);
/** How long each run watches, s: the 5 s goal and a few more to see that nothing flaps. */
const WINDOW_S = Number(process.env['BENCH_DISCOVERY_SCALE_WINDOW'] ?? 10);
const DESKTOP = '10.83.1.1';
const RESPONDER = '10.83.1.2';
const FINGERPRINT = Buffer.alloc(32, 9).toString('base64url');
const CLOCK_TICKS = 100;
/** TTL of the run that watches refreshes and a crash, s. */
const STALE_TTL = Number(process.env['BENCH_DISCOVERY_SCALE_TTL'] ?? 10);

type Kind = 'python-zeroconf' | 'agent (bonjour-service)';

interface Link {
  readonly packets: number;
  readonly bytes: number;
}

/** Packets and bytes through `ifname` in `ns`, received plus sent. */
function linkCounters(ns: string, ifname: string): Link {
  const dev = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/dev']).toString();
  const line = dev.split('\n').find((l) => l.trim().startsWith(`${ifname}:`));
  const f = (line ?? '').split(':')[1]?.trim().split(/\s+/).map(Number) ?? [];
  return { bytes: (f[0] ?? 0) + (f[8] ?? 0), packets: (f[1] ?? 0) + (f[9] ?? 0) };
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function startResponder(lab: NetnsLab, ns: string, kind: Kind, n: number, ttl?: number): NsProcess {
  if (kind === 'python-zeroconf') {
    const config = { address: RESPONDER, count: n, prefix: 'zc', fingerprint: FINGERPRINT, ...(ttl === undefined ? {} : { ttl }) };
    return lab.spawn(ns, ['/usr/bin/python3', 'test/helpers/zeroconf-responder.py', JSON.stringify(config)]);
  }
  return lab.spawnNode(ns, 'test/helpers/agent-fleet.ts', [JSON.stringify({ address: RESPONDER, count: n, prefix: 'ag', fingerprint: FINGERPRINT })]);
}

interface Run {
  readonly found: number;
  readonly allAfterMs: number | undefined;
  readonly downs: number;
  readonly link: Link;
  readonly cores: number;
  /** With a TTL: from SIGKILL of the responder to the last `down`, ms. */
  readonly staleAfterMs?: number | undefined;
}

async function once(kind: Kind, n: number, ttl?: number): Promise<Run> {
  const windowS = ttl === undefined ? WINDOW_S : Math.max(WINDOW_S, 2.5 * ttl);
  const lab = new NetnsLab(`mdsb-${process.pid}-`);
  const fleetDir = mkdtempSync(join(tmpdir(), 'mcl-bench-scale-'));
  try {
    const desktop = lab.addHost('d', [{ ifname: 'eth1', lan: 'lan1', cidr: `${DESKTOP}/24` }]);
    const responderNs = lab.addHost('r', [{ ifname: 'eth1', lan: 'lan1', cidr: `${RESPONDER}/24` }]);
    const responder = startResponder(lab, responderNs, kind, n, ttl);
    await responder.waitFor((l) => l === 'ready', 180_000);
    // Past the responder's own announcements, so what is measured is discovery asking, not hearing a boot.
    await new Promise((ok) => setTimeout(ok, 3000));
    const watcher = lab.spawnNode(desktop, 'electron/cli/macula.ts', ['discover', '--watch', '--json'], { MACULA_FLEET_DIR: fleetDir });
    await watcher.waitFor((l) => l.includes('"watching"'), 60_000);
    const start = performance.now();
    const pid = watcher.child.pid ?? 0;
    const cpu0 = cpuSeconds(pid);
    const link0 = linkCounters(desktop, 'eth1');
    const up = new Set<string>();
    let downs = 0;
    let allAfterMs: number | undefined;
    let from = watcher.lines.length;
    const end = start + windowS * 1000;
    let cpu1 = cpu0;
    let link1 = link0;
    while (performance.now() < end) {
      await new Promise((ok) => setTimeout(ok, 50));
      for (const line of watcher.lines.slice(from)) {
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line) as { event?: string; node?: { key?: string } };
        if (event.event === 'up' && event.node?.key) up.add(event.node.key);
        if (event.event === 'down') downs++;
      }
      from = watcher.lines.length;
      if (allAfterMs === undefined && up.size >= n) allAfterMs = performance.now() - start;
      cpu1 = cpuSeconds(pid);
      link1 = linkCounters(desktop, 'eth1');
    }
    const seconds = (performance.now() - start) / 1000;
    let staleAfterMs: number | undefined;
    if (ttl !== undefined) {
      // A crashed responder: every node must go, by TTL expiry, within 2 × TTL.
      const killedAt = performance.now();
      await responder.kill('SIGKILL');
      let gone = 0;
      while (gone < up.size && performance.now() - killedAt < 4 * ttl * 1000) {
        await new Promise((ok) => setTimeout(ok, 50));
        gone = watcher.lines.slice(from).filter((l) => l.includes('"event":"down"')).length;
      }
      if (gone >= up.size) staleAfterMs = performance.now() - killedAt;
    }
    return {
      staleAfterMs,
      found: up.size,
      allAfterMs,
      downs,
      link: { packets: (link1.packets - link0.packets) / seconds, bytes: (link1.bytes - link0.bytes) / seconds },
      cores: (cpu1 - cpu0) / seconds,
    };
  } finally {
    await lab.destroy();
    rmSync(fleetDir, { recursive: true, force: true });
  }
}

export async function runDiscoveryScaleBench(): Promise<void> {
  const skip = netnsUnavailable();
  if (skip) {
    console.log(`discovery-scale benchmark: skipped, it ${skip}`);
    return;
  }
  console.log(`discovery-scale benchmark: \`macula discover --watch --json\` for ${WINDOW_S} s (BENCH_DISCOVERY_SCALE_WINDOW) against N services on one`);
  console.log(`  LAN (${DESKTOP} ↔ ${RESPONDER}); goals: all found within 5 s, no down, desktop CPU under one core. Wire: desktop link, both ways.`);
  console.log(`  ${'responder'.padEnd(24)} ${'N'.padStart(5)} ${'found'.padStart(11)} ${'all found'.padStart(10)} ${'downs'.padStart(6)} ${'packets/s'.padStart(10)} ${'kB/s'.padStart(8)} ${'CPU'.padStart(7)}`);
  for (const kind of ['python-zeroconf', 'agent (bonjour-service)'] as const) {
    for (const n of SIZES) {
      try {
        const r = await once(kind, n);
        const all = r.allAfterMs === undefined ? 'never' : `${(r.allAfterMs / 1000).toFixed(2)} s`;
        console.log(
          `  ${kind.padEnd(24)} ${String(n).padStart(5)} ${`${r.found}/${n}`.padStart(11)} ${all.padStart(10)} ${String(r.downs).padStart(6)} ${r.link.packets.toFixed(0).padStart(10)} ${(r.link.bytes / 1000).toFixed(1).padStart(8)} ${`${(r.cores * 100).toFixed(0)} %`.padStart(7)}`,
        );
      } catch (err) {
        console.log(`  ${kind.padEnd(24)} ${String(n).padStart(5)} failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  const n = Math.max(...SIZES);
  console.log(`  python-zeroconf, N = ${n}, every TTL ${STALE_TTL} s (BENCH_DISCOVERY_SCALE_TTL): watched ${2.5 * STALE_TTL} s, through the refreshes at`);
  console.log('  80–95 % of each TTL, then the responder SIGKILLed; goals: no down while it runs, all gone within 2 × TTL.');
  try {
    const r = await once('python-zeroconf', n, STALE_TTL);
    const stale = r.staleAfterMs === undefined ? 'not all gone' : `${(r.staleAfterMs / 1000).toFixed(1)} s`;
    console.log(`  found ${r.found}/${n}, ${r.downs} down while running, ${(r.link.packets).toFixed(0)} packets/s, CPU ${(r.cores * 100).toFixed(0)} %; SIGKILL → all down: ${stale} (goal < ${2 * STALE_TTL} s)`);
  } catch (err) {
    console.log(`  failed: ${(err as Error).message.split('\n')[0]}`);
  }
}
