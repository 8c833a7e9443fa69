import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeImageLike, sh, work } from './fixtures';
import { attachLoop, detachLoop, type LoopTarget } from './loop-target';
import { type Measurement, measureCommand } from './measure';

/**
 * The `stream` regime of `npm run bench -- flash` (issue 15): an image served over loopback at 32 MB/s and 100 MB/s by
 * a throttled local server, flashed from its URL by the built CLI as a user runs it (`node dist/cli/macula.js flash URL
 * --sha256 … --to LOOP --yes`, a process, default flags), against curl alone (the download) and the same CLI flashing
 * the image from local disk (the write + read-back). Streaming should cost about max of the two, not their sum.
 */

const MB = 1_000_000;
const MIB = 192;
const RATES = [32 * MB, 100 * MB] as const;
const RUNS = 2;
const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'dist', 'cli', 'macula.js');

const quote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/** Starts the throttled server on `dir` at `rate` bytes/s and resolves with it and its port. */
async function serve(dir: string, rate: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'throttled-server.ts'), dir, String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((ok, fail) => {
    child.stdout?.once('data', (line: Buffer) => ok(Number(line.toString().trim())));
    child.once('exit', (code) => fail(new Error(`the throttled server exited (${code})`)));
  });
  return { child, port };
}

async function bestOf(n: number, once: () => Promise<Measurement>): Promise<Measurement> {
  let best: Measurement | undefined;
  for (let i = 0; i < n; i++) {
    const m = await once();
    if (!best || m.seconds < best.seconds) best = { ...m, maxRssMiB: Math.max(m.maxRssMiB, best?.maxRssMiB ?? 0) };
    else best = { ...best, maxRssMiB: Math.max(m.maxRssMiB, best.maxRssMiB) };
  }
  return best!;
}

const row = (label: string, m: Measurement): string =>
  `  ${label.padEnd(44)} ${m.seconds.toFixed(2).padStart(7)} s  ${((MIB * 1.048576) / m.seconds).toFixed(1).padStart(6)} MB/s  peak RSS ${m.maxRssMiB.toFixed(0)} MiB`;

/** Runs the streaming regime on its own loop device; needs root and the built CLI (`node electron/build.mjs`). */
export async function runStreamRegime(): Promise<void> {
  const dir = join(work, 'stream');
  sh(`mkdir -p '${dir}'`);
  const image = join(dir, 'stream.img');
  makeImageLike(image, MIB);
  try {
    statSync(cli);
  } catch {
    console.log(`\nstream regime: skipped, build the CLI first (node electron/build.mjs → ${cli})`);
    return;
  }
  const sha256 = await sha256Of(image);
  const loop: LoopTarget = attachLoop(join(work, 'stream-target.img'), (MIB + 8) << 20);
  const cache = join(dir, 'cache');
  try {
    console.log(`\nstream regime: ${MIB} MiB image-like image served over loopback by bench/throttled-server.ts, best of ${RUNS}`);
    console.log(`  target ${loop.device} (unthrottled, dio=${loop.dio ? 1 : 0}); every command a process under /usr/bin/time`);
    const local = await bestOf(RUNS, () => measureCommand(`node ${quote(cli)} flash ${quote(image)} --to ${loop.device} --yes`));
    console.log(row('local flash alone (macula flash FILE)', local));
    for (const rate of RATES) {
      const { child, port } = await serve(dir, rate);
      try {
        const url = `http://127.0.0.1:${port}/stream.img`;
        const curl = await bestOf(RUNS, () => measureCommand(`curl -s -o ${quote(join(dir, 'curl.out'))} ${quote(url)}`));
        const stream = await bestOf(RUNS, () => {
          // A fresh cache each run: nothing may come from the last one.
          rmSync(cache, { recursive: true, force: true });
          return measureCommand(`node ${quote(cli)} flash ${quote(url)} --sha256 ${sha256} --allow-http --cache ${quote(cache)} --to ${loop.device} --yes`);
        });
        console.log(`  served at ${rate / MB} MB/s:`);
        console.log(row('  curl alone', curl));
        console.log(row('  macula flash URL (streaming)', stream));
        const ratio = stream.seconds / Math.max(curl.seconds, local.seconds);
        console.log(`    streaming / max(download alone, local flash alone) = ${ratio.toFixed(3)} × (goal ≤ 1.05; sum would be ${((curl.seconds + local.seconds) / Math.max(curl.seconds, local.seconds)).toFixed(2)} ×)`);
      } finally {
        child.kill();
      }
    }
  } finally {
    detachLoop(loop);
    rmSync(cache, { recursive: true, force: true });
    rmSync(join(dir, 'curl.out'), { force: true });
  }
}
