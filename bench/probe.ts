/**
 * One engine operation per process, for bench/measure.ts:
 * `download URL SHA256 CACHE` | `decode FILE` (decompress + SHA-256, as the product does) | `decode-only FILE` |
 * `flash IMAGE TARGET [--no-verify] [--write-zeros] [--bmap FILE] [--seed FILE]` (openImage + writeImage to one target, read back and compared unless
 * --no-verify; with --seed the seed file is read, validated and expanded as `macula flash --seed` does, inside the timing).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/*
 * Each op imports only what it runs (bundled with code splitting, see measure.ts): the peak RSS measured is then that
 * of the operation, not of every module the other ops need (the download's TLS stack, the seed's YAML and zod).
 */

/** The seed of the one target, as `macula flash --seed FILE` makes it (validated, a pairing key generated). */
async function seedMaker(): Promise<(path: string) => Promise<string[]>> {
  const { expandSeeds } = await import('../shared/seed-batch');
  const { parseSeedYaml, seedToYaml } = await import('../shared/seed-yaml');
  return async (path) => {
    const base = parseSeedYaml(await readFile(path, 'utf8'), path, { templates: true });
    return expandSeeds(base, 1, { random: (n) => randomBytes(n) }).map(seedToYaml);
  };
}

/** The clock starts once an op's modules are loaded, as it did when they were imported statically. */
let started = performance.now();
let cpuAtStart = process.cpuUsage();
function startClock(): void {
  started = performance.now();
  cpuAtStart = process.cpuUsage();
}

const [op, ...args] = process.argv.slice(2);
if (op === 'download') {
  const { download } = await import('../electron/engine/download/download');
  const [url, sha256, cacheDir] = args as [string, string, string];
  startClock();
  await download({ url, expectedSha256: sha256, cacheDir, allowHttp: true });
} else if (op === 'decode') {
  const { hashImage } = await import('../electron/engine/source/extract');
  const { openImage } = await import('../electron/engine/source/open-image');
  startClock();
  const result = await hashImage(await openImage(args[0]!));
  process.stderr.write(`decoded ${result.size} bytes sha256 ${result.sha256}\n`);
} else if (op === 'decode-only') {
  const { openImage } = await import('../electron/engine/source/open-image');
  startClock();
  const sink = new Writable({ highWaterMark: 1 << 20, write: (_chunk, _enc, done) => done() });
  await pipeline((await openImage(args[0]!)).createReadStream(), sink);
} else if (op === 'flash') {
  const [image, target, ...flags] = args as [string, string, ...string[]];
  const verify = !flags.includes('--no-verify');
  // --write-zeros: every block written, as on a drive without discard (most USB sticks); see discard-zeros.ts.
  const skipZeros = !flags.includes('--write-zeros');
  const seedFile = flags.includes('--seed') ? flags[flags.indexOf('--seed') + 1] : undefined;
  const bmapFile = flags.includes('--bmap') ? flags[flags.indexOf('--bmap') + 1] : undefined;
  const bmap = bmapFile === undefined ? undefined : await (await import('../electron/engine/source/read-bmap')).readBmap(bmapFile);
  const seedTexts = seedFile === undefined ? undefined : await seedMaker();
  const { openImage } = await import('../electron/engine/source/open-image');
  const { writeImage } = await import('../electron/engine/write/write-targets');
  startClock();
  const stateConfigs = seedFile === undefined ? undefined : await seedTexts?.(seedFile);
  const result = await writeImage({ source: await openImage(image), targets: [target], verify, skipZeros, ...(bmap ? { bmap } : {}), ...(stateConfigs ? { stateConfigs } : {}) });
  const outcome = result.targets[0];
  if (!outcome?.ok) throw new Error(`flash to ${target} failed: ${outcome ? outcome.error.message : 'no result'}`);
  const notes = outcome.notes.length > 0 ? ` (${outcome.notes.join('; ')})` : '';
  const seeded = outcome.state ? `, seeded in partition ${outcome.state.partition}` : '';
  process.stderr.write(`wrote ${result.size} bytes sha256 ${result.sha256}, verified ${outcome.verified}${seeded}${notes}\n`);
} else {
  throw new Error(`unknown probe op ${op}`);
}
const cpu = process.cpuUsage(cpuAtStart);
process.stderr.write(`ELAPSED ${((performance.now() - started) / 1000).toFixed(3)}\nCPU ${((cpu.user + cpu.system) / 1e6).toFixed(3)}\n`);
