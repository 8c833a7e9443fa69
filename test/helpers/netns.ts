import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Network namespaces for the fleet tests: a bridge namespace holding one Linux bridge per simulated LAN, and host
 * namespaces joined to them by veth pairs, with private addresses (10.77.x.0/24). Every veth is created directly
 * inside its namespaces, so nothing appears in the host's own namespace; deleting the namespaces removes them all.
 * mDNS needs a multicast route in each namespace (`224.0.0.0/4`), and bridge multicast snooping off so 224.0.0.251
 * is flooded even without an IGMP querier.
 */

const repo = resolve(import.meta.dirname, '..', '..');

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (`ip netns`)';
  }
  return undefined;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface LinkSpec {
  /** Interface name inside the host namespace, e.g. `eth1`. */
  readonly ifname: string;
  /** Which LAN (bridge) it joins, e.g. `lan1`. */
  readonly lan: string;
  /** Address with prefix, e.g. `10.77.1.11/24`. */
  readonly cidr: string;
}

/** A line-oriented child process in a namespace: its lines are kept, and awaited by predicate. */
export class NsProcess {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  exited = false;

  constructor(readonly child: ChildProcess) {
    if (!child.stdout) throw new Error('child without stdout');
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.lines.push(line);
      for (const w of this.waiters) w();
    });
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[ns child ${child.pid}] ${d.toString()}`));
    child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiters) w();
    });
  }

  /** JSON lines only (`--json` output). */
  events(): Record<string, unknown>[] {
    return this.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Resolves with the first line (from `from` on) that matches, or rejects after `timeoutMs`. */
  waitFor(match: (line: string) => boolean, timeoutMs: number, from = 0): Promise<string> {
    return new Promise((ok, fail) => {
      const check = (): boolean => {
        const hit = this.lines.slice(from).find(match);
        if (hit !== undefined) {
          cleanup();
          ok(hit);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        fail(new Error(`timed out after ${timeoutMs} ms; lines so far:\n${this.lines.join('\n')}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter = (): void => void check();
      this.waiters.push(waiter);
      check();
    });
  }

  write(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Kills the child (and waits for it): SIGKILL simulates a crash, SIGTERM/SIGINT a stop. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((ok) => {
      this.child.once('exit', () => ok());
      this.child.kill(signal);
    });
  }
}

/** A set of namespaces and LANs, torn down by `destroy()` whatever state it was left in. */
export class NetnsLab {
  private readonly namespaces: string[] = [];
  private readonly processes: NsProcess[] = [];
  private readonly bridges = new Set<string>();
  private readonly etcDirs: string[] = [];
  readonly bridgeNs: string;

  constructor(readonly prefix = `mcl-${process.pid}-`) {
    this.bridgeNs = this.addNamespace('br');
  }

  /** A namespace named PREFIX+`suffix`, with loopback up. */
  addNamespace(suffix: string): string {
    const name = `${this.prefix}${suffix}`;
    ip('netns', 'add', name);
    this.namespaces.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  private bridge(lan: string): string {
    if (!this.bridges.has(lan)) {
      ip('-n', this.bridgeNs, 'link', 'add', lan, 'type', 'bridge', 'mcast_snooping', '0');
      ip('-n', this.bridgeNs, 'link', 'set', lan, 'up');
      this.bridges.add(lan);
    }
    return lan;
  }

  /** A host namespace with one veth per link, each on its LAN's bridge; the multicast route goes via the first. */
  addHost(suffix: string, links: readonly LinkSpec[]): string {
    const ns = this.addNamespace(suffix);
    for (const [i, link] of links.entries()) {
      const peer = `${suffix}-${i}`;
      ip('-n', ns, 'link', 'add', link.ifname, 'type', 'veth', 'peer', 'name', peer, 'netns', this.bridgeNs);
      ip('-n', this.bridgeNs, 'link', 'set', peer, 'master', this.bridge(link.lan), 'up');
      ip('-n', ns, 'addr', 'add', link.cidr, 'dev', link.ifname);
      ip('-n', ns, 'link', 'set', link.ifname, 'up');
    }
    const first = links[0];
    if (first) ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', first.ifname);
    return ns;
  }

  /**
   * A directory bind-mounted over /etc/NAME for processes started with `ip netns exec ns` (iproute2 mounts
   * /etc/netns/NS/* over /etc/*), for per-namespace config such as avahi's. Removed by destroy().
   */
  etcDir(ns: string): string {
    const dir = `/etc/netns/${ns}`;
    this.etcDirs.push(dir);
    return dir;
  }

  /** Runs `argv` inside `ns` as a child whose stdout lines are collected. */
  spawn(ns: string, argv: readonly string[], env: Record<string, string> = {}): NsProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: repo, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const proc = new NsProcess(child);
    this.processes.push(proc);
    return proc;
  }

  /** `node --import tsx SCRIPT ARGS…` inside `ns`. */
  spawnNode(ns: string, script: string, args: readonly string[], env: Record<string, string> = {}): NsProcess {
    return this.spawn(ns, [process.execPath, '--import', 'tsx', resolve(repo, script), ...args], env);
  }

  /** Ends the processes this lab started (by their own pids), then deletes its namespaces and files. */
  async destroy(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill('SIGKILL')));
    for (const ns of this.namespaces.reverse()) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Already gone: destroy() must work after any partial setup.
      }
    }
    for (const dir of this.etcDirs) rmSync(dir, { recursive: true, force: true });
  }
}
