import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { encodeTxtRecord } from '../shared/fleet/txt-record';
import { NetnsLab, type NsProcess, netnsUnavailable } from '../test/helpers/netns';

/**
 * `npm run bench -- discovery` (issue 5): how fast `macula discover --watch` follows nodes over real mDNS between
 * network namespaces. Each round starts a simulated node (test/helpers/mdns-publisher.ts, bonjour-service) in its own
 * namespace and times, as seen from the desktop's namespace:
 *   - announce → `up`: from the publisher's first announcement (its `ready`) to discovery's `up` event (goal < 2 s);
 *   - goodbye → `down`: from telling it to stop (it sends TTL-0 records, RFC 6762 §10.1) to `down` (goal: at once);
 *   - SIGKILL → `down`: a node killed without a goodbye, with records of TTL T, until `down` (goal ≤ 2 × T).
 * Next to discovery, a bare multicast-dns socket in the same namespace reports when the announcement reached the
 * desktop at all: the floor under announce → `up`. Not a test: nothing here asserts a time. Needs root (namespaces);
 * the namespaces and every process started here are removed on the way out, also on SIGINT/SIGTERM.
 */

const ROUNDS = Number(process.env['BENCH_DISCOVERY_ROUNDS'] ?? 10);
/** TTL of the killed node's records, seconds. */
const KILL_TTL = 4;
/** TTL of the node that says goodbye: long, so its `down` can only be the goodbye. */
const GOODBYE_TTL = 120;
const DESKTOP = '10.79.1.1';
const NODE = '10.79.1.11';

/** Every stdout line of a process with when it arrived (ms, monotonic), for timing without polling. */
class Timeline {
  readonly lines: Array<{ readonly at: number; readonly line: string }> = [];
  private waiters: Array<() => void> = [];

  constructor(proc: NsProcess) {
    if (!proc.child.stdout) throw new Error('child without stdout');
    createInterface({ input: proc.child.stdout }).on('line', (line) => {
      this.lines.push({ at: performance.now(), line });
      for (const w of this.waiters) w();
    });
  }

  /** When the first line from index `from` matching `match` arrived; rejects after `timeoutMs`. */
  when(match: (line: string) => boolean, timeoutMs: number, from = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.lines.slice(from).find((l) => match(l.line));
        if (!hit) return;
        done();
        resolve(hit.at);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching line within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }
}

interface EventLine {
  readonly event?: string;
  readonly reason?: string;
  readonly node?: { readonly nodeId?: string };
}

const eventOf = (line: string): EventLine => {
  try {
    return line.startsWith('{') ? (JSON.parse(line) as EventLine) : {};
  } catch {
    return {};
  }
};

/** A bare mDNS listener: prints `seen NAME` / `bye NAME` for each `_macula._tcp` PTR it receives, nothing cached. */
const RAW_LISTENER = `
const mdns = require('multicast-dns')({ interface: ${JSON.stringify(DESKTOP)}, bind: '0.0.0.0', reuseAddr: true });
mdns.on('response', (packet) => {
  for (const a of [...packet.answers, ...packet.additionals]) {
    if (a.type === 'PTR' && a.name === '_macula._tcp.local') console.log((a.ttl === 0 ? 'bye ' : 'seen ') + a.data.split('.')[0]);
  }
});
mdns.on('ready', () => console.log('listening'));
`;

function stats(samples: readonly number[]): string {
  if (samples.length === 0) return 'no samples';
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? (sorted[Math.floor(mid)] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  const ms = (v: number): string => `${Math.round(v)} ms`.padStart(8);
  return `min ${ms(sorted[0] ?? 0)}  median ${ms(median)}  max ${ms(sorted[sorted.length - 1] ?? 0)}  (n=${sorted.length})`;
}

const txtPairs = (nodeId: string): Array<[string, string]> =>
  encodeTxtRecord({ nodeId, state: 'unpaired', fingerprint: Buffer.alloc(32, 9).toString('base64url'), osVersion: '0.1.0', arch: 'amd64', meshRoles: [], apiPort: 8443 }).map(
    (s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)],
  );

export async function runDiscoveryBench(): Promise<void> {
  const skip = netnsUnavailable();
  if (skip) {
    console.log(`discovery benchmark: skipped, it ${skip}`);
    return;
  }
  const lab = new NetnsLab(`mcb-${process.pid}-`);
  const fleetDir = mkdtempSync(join(tmpdir(), 'mcl-bench-fleet-'));
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await lab.destroy();
    rmSync(fleetDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: removing the benchmark's namespaces`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const desktop = lab.addHost('d', [{ ifname: 'eth1', lan: 'lan1', cidr: `${DESKTOP}/24` }]);
    const node = lab.addHost('n', [{ ifname: 'eth1', lan: 'lan1', cidr: `${NODE}/24` }]);
    const watcherProc = lab.spawnNode(desktop, 'electron/cli/macula.ts', ['discover', '--watch', '--json'], { MACULA_FLEET_DIR: fleetDir });
    const watcher = new Timeline(watcherProc);
    const rawProc = lab.spawn(desktop, [process.execPath, '-e', RAW_LISTENER]);
    const raw = new Timeline(rawProc);
    await Promise.all([watcher.when((l) => l.includes('"watching"'), 30_000), raw.when((l) => l === 'listening', 30_000)]);

    console.log('discovery benchmark: `macula discover --watch --json` in one network namespace, bonjour-service publishers');
    console.log(`  in another, one bridged LAN (${DESKTOP}/24 ↔ ${NODE}/24); ${ROUNDS} rounds (BENCH_DISCOVERY_ROUNDS), each:`);
    console.log(`  a node with TTL ${GOODBYE_TTL} s comes up and says goodbye; a node with TTL ${KILL_TTL} s comes up and is SIGKILLed.`);
    console.log('  times from the publisher\'s `ready` (first announcement sent) or the bench\'s stop/kill to the event line;');
    console.log('  `ready` and the event reach the bench through two pipes, so a few ms either way (even negative) is noise.');

    const spawnToUp: number[] = [];
    const announceToUp: number[] = [];
    const announceToWire: number[] = [];
    const goodbyeToDown: number[] = [];
    const killToDown: number[] = [];
    let misses = 0;

    const publish = (name: string, ttl: number): { proc: NsProcess; timeline: Timeline; spawnedAt: number } => {
      const spawnedAt = performance.now();
      const proc = lab.spawnNode(node, 'test/helpers/mdns-publisher.ts', [
        JSON.stringify({ name, host: `${name}.local`, port: 8443, txt: txtPairs(name), ttl, addresses: [NODE] }),
      ]);
      return { proc, timeline: new Timeline(proc), spawnedAt };
    };
    /** Up: returns nothing, records the samples. */
    const comeUp = async (name: string, ttl: number): Promise<NsProcess> => {
      const fromW = watcher.lines.length;
      const fromR = raw.lines.length;
      const { proc, timeline, spawnedAt } = publish(name, ttl);
      const ready = await timeline.when((l) => l === 'ready', 30_000);
      const up = await watcher.when((l) => eventOf(l).event === 'up' && eventOf(l).node?.nodeId === name, 10_000, fromW);
      const wire = await raw.when((l) => l === `seen ${name}`, 10_000, fromR);
      spawnToUp.push(up - spawnedAt);
      announceToUp.push(up - ready);
      announceToWire.push(wire - ready);
      return proc;
    };

    for (let round = 0; round < ROUNDS; round++) {
      try {
        const polite = `bench-g${round}`;
        const p1 = await comeUp(polite, GOODBYE_TTL);
        let from = watcher.lines.length;
        let t = performance.now();
        p1.write('stop');
        const down1 = await watcher.when((l) => eventOf(l).event === 'down' && eventOf(l).node?.nodeId === polite, 10_000, from);
        goodbyeToDown.push(down1 - t);

        const crashing = `bench-k${round}`;
        const p2 = await comeUp(crashing, KILL_TTL);
        from = watcher.lines.length;
        t = performance.now();
        await p2.kill('SIGKILL');
        const down2 = await watcher.when((l) => eventOf(l).event === 'down' && eventOf(l).node?.nodeId === crashing, 4 * KILL_TTL * 1000, from);
        killToDown.push(down2 - t);
        const reason = eventOf(watcher.lines.find((l, i) => i >= from && l.at === down2)?.line ?? '').reason;
        if (reason !== 'expired') console.log(`  round ${round}: the killed node went down with reason ${reason ?? '?'}, not expired`);
      } catch (err) {
        misses++;
        console.log(`  round ${round}: ${(err as Error).message}`);
      }
      process.stdout.write(`  round ${round + 1}/${ROUNDS} done\r`);
    }

    console.log('');
    console.log(`  spawn → up (incl. Node + tsx start of the publisher)  ${stats(spawnToUp)}`);
    console.log(`  announce → seen by a bare mDNS socket (floor)          ${stats(announceToWire)}`);
    console.log(`  announce → up                                         ${stats(announceToUp)}   goal < 2000 ms`);
    console.log(`  goodbye → down                                        ${stats(goodbyeToDown)}   goal: at once`);
    console.log(`  SIGKILL → down (TTL ${KILL_TTL} s)                             ${stats(killToDown)}   goal ≤ ${2 * KILL_TTL * 1000} ms (2 × TTL)`);
    const worstUp = Math.max(...announceToUp);
    const worstKill = Math.max(...killToDown);
    console.log(`  goals: announce → up ${worstUp < 2000 ? 'met' : 'MISSED'} (worst ${Math.round(worstUp)} ms); killed node gone within 2 × TTL ${worstKill <= 2 * KILL_TTL * 1000 ? 'met' : 'MISSED'} (worst ${Math.round(worstKill)} ms)${misses ? `; ${misses} round(s) failed` : ''}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}
