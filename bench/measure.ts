import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ENGINE_NODE_FLAGS } from '../electron/engine/app/engine-node-flags';

const run = promisify(execFile);

/** Wall time, CPU time and peak memory of one run. */
export interface Measurement {
  readonly seconds: number;
  readonly maxRssMiB: number;
  /** User + system CPU seconds, over every thread and child process. */
  readonly cpuSeconds: number;
}

/** How a measured command runs. */
export interface MeasureOptions {
  /** Shell text run first by the measured shell itself, e.g. joining a cgroup so that the command's I/O is throttled. */
  readonly prefix?: string;
}

function quote(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/**
 * Runs a shell command under GNU time (`/usr/bin/time`), which reports elapsed seconds, peak RSS (of the largest
 * process) and user + system CPU seconds (the shell's and its children's).
 */
export async function measureCommand(shellCommand: string, options: MeasureOptions = {}): Promise<Measurement & { stderr: string }> {
  const script = `${options.prefix ?? ''}${shellCommand}`;
  const { stderr } = await run('/usr/bin/time', ['-f', 'MEASURE %e %M %U %S', 'sh', '-c', script], { maxBuffer: 1 << 24 });
  const match = /MEASURE ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
  if (!match) throw new Error(`no measurement from: ${shellCommand}\n${stderr}`);
  return { seconds: Number(match[1]), maxRssMiB: Number(match[2]) / 1024, cpuSeconds: Number(match[3]) + Number(match[4]), stderr };
}

/**
 * Runs a Node script that times its own operation and prints `ELAPSED s` (and `CPU s`, the process's CPU over the same
 * span, every thread) on stderr: Node start-up (~0.1 s, more under tsx) is not the speed being measured. Peak RSS is
 * GNU time's, over the whole process.
 */
export async function measureNodeScript(script: string, args: readonly string[], options: MeasureOptions = {}, nodeFlags: readonly string[] = []): Promise<Measurement> {
  const m = await measureCommand(`node ${[...nodeFlags, script, ...args].map(quote).join(' ')}`, options);
  const elapsed = /ELAPSED ([\d.]+)/.exec(m.stderr);
  if (!elapsed) throw new Error(`${script} reported no time:\n${m.stderr}`);
  const cpu = /CPU ([\d.]+)/.exec(m.stderr);
  return { seconds: Number(elapsed[1]), maxRssMiB: m.maxRssMiB, cpuSeconds: cpu ? Number(cpu[1]) : m.cpuSeconds };
}

/**
 * Runs one engine operation in its own Node process (bench/probe.ts), so its peak memory is its own and the same
 * tool measures it as measures the reference commands; the time is the operation's own, without process start-up.
 * The process gets the Node options the CLI and the app's writer run with (engine-node-flags.ts).
 */
export function measureEngine(op: string, ...args: string[]): Promise<Measurement> {
  return measureEngineWith({}, op, ...args);
}

/** measureEngine with options (a prefix that puts the probe in a cgroup). */
export async function measureEngineWith(options: MeasureOptions, op: string, ...args: string[]): Promise<Measurement> {
  return measureNodeScript(await bundledProbe(), [op, ...args], options, ENGINE_NODE_FLAGS);
}

/** The best (fastest) of `n` runs, which is the least disturbed by the other tenant of a 2-core machine. */
export async function best(n: number, once: () => Promise<Measurement>): Promise<Measurement> {
  let fastest: Measurement | undefined;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const m = await once();
    peak = Math.max(peak, m.maxRssMiB);
    if (!fastest || m.seconds < fastest.seconds) fastest = m;
  }
  return { ...fastest!, maxRssMiB: peak };
}

let probeBundle: Promise<string> | undefined;

/**
 * The probe bundled the way electron/build.mjs bundles the CLI (esbuild, split into chunks, npm packages external, the
 * engine's worker threads — the xz block decoder and the SHA-256 hasher, which a flash no longer starts by default —
 * as sibling .js files, where engine/io/worker-launcher.ts looks for them), so the benchmark measures the code that
 * ships rather than tsx's on-the-fly compilation.
 */
/**
 * Bundles `entryPoints` into `outdir` as electron/build.mjs bundles the CLI: ESM for Node 20, packages external, split,
 * so that a module imported with import() is loaded only when it is (esbuild hoists an external package's import to the
 * top of a single-file ESM bundle, where it loads at start whether used or not). Memory measured on such a bundle is
 * that of the code that ships.
 */
export async function bundleForNode(outdir: string, entryPoints: Record<string, string>): Promise<void> {
  await build({ bundle: true, platform: 'node', target: 'node20', format: 'esm', splitting: true, packages: 'external', logLevel: 'warning', outdir, entryPoints });
}

export function bundledProbe(): Promise<string> {
  probeBundle ??= (async () => {
    const outdir = resolve(import.meta.dirname, '..', '.cache', 'bench', 'probe');
    await bundleForNode(outdir, {
      probe: join(import.meta.dirname, 'probe.ts'),
      'xz-block-worker': resolve(import.meta.dirname, '..', 'electron/engine/source/xz/xz-block-worker.ts'),
      'sha256-worker': resolve(import.meta.dirname, '..', 'electron/engine/io/sha256-worker.ts'),
    });
    return join(outdir, 'probe.js');
  })();
  return probeBundle;
}
