import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);

/** Wall time and peak memory of one run. */
export interface Measurement {
  readonly seconds: number;
  readonly maxRssMiB: number;
}

/** Runs a shell command under GNU time (`/usr/bin/time`), which reports elapsed seconds and peak RSS. */
export async function measureCommand(shellCommand: string): Promise<Measurement & { stderr: string }> {
  const { stderr } = await run('/usr/bin/time', ['-f', 'MEASURE %e %M', 'sh', '-c', shellCommand], { maxBuffer: 1 << 24 });
  const match = /MEASURE ([\d.]+) (\d+)/.exec(stderr);
  if (!match) throw new Error(`no measurement from: ${shellCommand}\n${stderr}`);
  return { seconds: Number(match[1]), maxRssMiB: Number(match[2]) / 1024, stderr };
}

/**
 * Runs one engine operation in its own Node process (bench/probe.ts), so its peak memory is its own and the same
 * tool measures it as measures the reference commands; the time is the operation's own, without process start-up.
 */
export async function measureEngine(op: string, ...args: string[]): Promise<Measurement> {
  const probe = await bundledProbe();
  const quoted = [op, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const m = await measureCommand(`node '${probe}' ${quoted}`);
  // The probe times the operation itself: Node + tsx start-up (~0.4 s) is not the engine's speed.
  const elapsed = /ELAPSED ([\d.]+)/.exec(m.stderr);
  if (!elapsed) throw new Error(`probe ${op} reported no time:\n${m.stderr}`);
  return { seconds: Number(elapsed[1]), maxRssMiB: m.maxRssMiB };
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
  return { seconds: fastest!.seconds, maxRssMiB: peak };
}

let probeBundle: Promise<string> | undefined;

/**
 * The probe bundled the way electron/build.mjs bundles the CLI (esbuild, npm packages external, the xz worker as a
 * sibling .js), so the benchmark measures the code that ships rather than tsx's on-the-fly compilation.
 */
function bundledProbe(): Promise<string> {
  probeBundle ??= (async () => {
    const outdir = resolve(import.meta.dirname, '..', '.cache', 'bench', 'probe');
    await build({
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
      outdir,
      entryPoints: {
        probe: join(import.meta.dirname, 'probe.ts'),
        'xz-block-worker': resolve(import.meta.dirname, '..', 'electron/engine/source/xz/xz-block-worker.ts'),
        'sha256-worker': resolve(import.meta.dirname, '..', 'electron/engine/io/sha256-worker.ts'),
      },
    });
    return join(outdir, 'probe.js');
  })();
  return probeBundle;
}
