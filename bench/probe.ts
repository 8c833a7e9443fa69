/**
 * One engine operation per process, for bench/measure.ts:
 * `download URL SHA256 CACHE` | `decode FILE` (decompress + SHA-256, as the product does) | `decode-only FILE` |
 * `flash IMAGE TARGET [--no-verify] [--seed FILE]` (openImage + writeImage to one target, read back and compared unless
 * --no-verify; with --seed the seed file is read, validated and expanded as `macula flash --seed` does, inside the timing).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { download } from '../electron/engine/download/download';
import { hashImage } from '../electron/engine/source/extract';
import { openImage } from '../electron/engine/source/open-image';
import { writeImage } from '../electron/engine/write/write-targets';
import { expandSeeds } from '../shared/seed-batch';
import { parseSeedYaml, seedToYaml } from '../shared/seed-yaml';

/** The seed of the one target, as `macula flash --seed FILE` makes it (validated, a pairing key generated). */
async function seedTexts(path: string): Promise<string[]> {
  const base = parseSeedYaml(await readFile(path, 'utf8'), path, { templates: true });
  return expandSeeds(base, 1, { random: (n) => randomBytes(n) }).map(seedToYaml);
}

const [op, ...args] = process.argv.slice(2);
const started = performance.now();
const cpuAtStart = process.cpuUsage();
if (op === 'download') {
  const [url, sha256, cacheDir] = args as [string, string, string];
  await download({ url, expectedSha256: sha256, cacheDir, allowHttp: true });
} else if (op === 'decode') {
  const result = await hashImage(await openImage(args[0]!));
  process.stderr.write(`decoded ${result.size} bytes sha256 ${result.sha256}\n`);
} else if (op === 'decode-only') {
  const sink = new Writable({ highWaterMark: 1 << 20, write: (_chunk, _enc, done) => done() });
  await pipeline((await openImage(args[0]!)).createReadStream(), sink);
} else if (op === 'flash') {
  const [image, target, ...flags] = args as [string, string, ...string[]];
  const verify = !flags.includes('--no-verify');
  const seedFile = flags.includes('--seed') ? flags[flags.indexOf('--seed') + 1] : undefined;
  const stateConfigs = seedFile === undefined ? undefined : await seedTexts(seedFile);
  const result = await writeImage({ source: await openImage(image), targets: [target], verify, ...(stateConfigs ? { stateConfigs } : {}) });
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
