import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensure, imageFixtures, work } from './fixtures';
import { type Measurement, best, measureCommand, measureEngine } from './measure';

/**
 * `npm run bench -- acquire`: download throughput while hashing vs `curl -o` on loopback; parallel `.xz` decoding vs
 * `xz -dc` and `xz -T2 -dc`; `.zst` vs `zstd -dc`; peak memory of each. Our side always hashes (SHA-256) as it goes,
 * the reference tools do not: the ratios are conservative. Fixtures are made once and kept in .cache/bench/.
 */
const RUNS = 3;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function row(label: string, m: Measurement, mib: number): string {
  return `  ${label.padEnd(34)} ${(mib / m.seconds).toFixed(0).padStart(6)} MiB/s  ${m.seconds.toFixed(2).padStart(6)} s  peak RSS ${m.maxRssMiB.toFixed(0).padStart(5)} MiB`;
}

function ratio(label: string, ours: Measurement, theirs: Measurement, goal?: number): string {
  const r = theirs.seconds / ours.seconds;
  const verdict = goal === undefined ? '' : r >= goal ? `  (goal ≥ ${goal}: met)` : `  (goal ≥ ${goal}: NOT met)`;
  return `  ratio ${label.padEnd(28)} ${r.toFixed(2)}×${verdict}`;
}

async function startServer(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn('node', ['--import', 'tsx', join(import.meta.dirname, 'static-server.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((ok) => createInterface({ input: child.stdout! }).once('line', ok));
  return { port: Number(line), child };
}

async function benchDownload(): Promise<void> {
  const mib = 1024;
  const file = join(work, 'random.bin');
  ensure(file, `head -c ${mib}M /dev/urandom > '${file}'`, `${mib} MiB random file`);
  const sha = await sha256Of(file);
  const { port, child } = await startServer(work);
  const url = `http://127.0.0.1:${port}/random.bin`;
  // Both sides write to RAM when the machine has /dev/shm: disk writeback made runs differ by 2× here.
  const out = existsSync('/dev/shm') ? '/dev/shm/macula-bench-dl' : join(work, 'dl');
  try {
    const curl = await best(RUNS, async () => {
      await rm(out, { recursive: true, force: true });
      await mkdir(out, { recursive: true });
      return measureCommand(`curl -sS -o '${out}/curl.bin' '${url}'`);
    });
    // What a careful user would type to get a file and its hash in one pass.
    const curlHash = await best(RUNS, async () => {
      await rm(out, { recursive: true, force: true });
      await mkdir(out, { recursive: true });
      return measureCommand(`curl -sS '${url}' | tee '${out}/curl.bin' | sha256sum > /dev/null`);
    });
    const ours = await best(RUNS, async () => {
      await rm(out, { recursive: true, force: true });
      return measureEngine('download', url, sha, out);
    });
    console.log(`\ndownload ${mib} MiB over loopback HTTP (to ${out.startsWith('/dev/shm') ? 'tmpfs' : 'disk'}):`);
    console.log(row('curl -o', curl, mib));
    console.log(row('curl | tee | sha256sum', curlHash, mib));
    console.log(row('macula download (+SHA-256)', ours, mib));
    console.log(ratio('macula / curl -o', ours, curl, 0.9));
    console.log(ratio('macula / curl | tee | sha256sum', ours, curlHash));
  } finally {
    child.kill();
    await rm(out, { recursive: true, force: true });
  }
}

async function benchDecompress(): Promise<void> {
  const { mib, xz, zst } = imageFixtures();

  const xz1 = await best(RUNS, () => measureCommand(`xz -dc '${xz}' > /dev/null`));
  const xz2 = await best(RUNS, () => measureCommand(`xz -T2 -dc '${xz}' > /dev/null`));
  const oursXz = await best(RUNS, () => measureEngine('decode', xz));
  const oursXzOnly = await best(RUNS, () => measureEngine('decode-only', xz));
  console.log(`\n.xz → ${mib} MiB image (${RUNS} runs, best):`);
  console.log(row('xz -dc', xz1, mib));
  console.log(row('xz -T2 -dc', xz2, mib));
  console.log(row('macula (parallel blocks, +SHA-256)', oursXz, mib));
  console.log(row('macula (parallel blocks, no hash)', oursXzOnly, mib));
  console.log(ratio('macula / xz -dc', oursXz, xz1));
  console.log(ratio('macula / xz -T2 -dc', oursXz, xz2, 1.0));
  console.log(ratio('macula no hash / xz -T2 -dc', oursXzOnly, xz2));

  const zstd = await best(RUNS, () => measureCommand(`zstd -dc '${zst}' > /dev/null`));
  const oursZst = await best(RUNS, () => measureEngine('decode', zst));
  const oursZstOnly = await best(RUNS, () => measureEngine('decode-only', zst));
  console.log(`\n.zst → ${mib} MiB image:`);
  console.log(row('zstd -dc', zstd, mib));
  console.log(row('macula (+SHA-256)', oursZst, mib));
  console.log(row('macula (no hash)', oursZstOnly, mib));
  console.log(ratio('macula / zstd -dc', oursZst, zstd));
  console.log(ratio('macula no hash / zstd -dc', oursZstOnly, zstd));
}

/** The acquire suite: download, then decompression. */
export async function runAcquireBench(): Promise<void> {
  await mkdir(work, { recursive: true });
  console.log(`acquire benchmark (${RUNS} runs each, best time, peak RSS over runs; our side runs in its own Node process)`);
  await benchDownload();
  await benchDecompress();
}
