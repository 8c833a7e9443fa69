import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { macula } from './helpers/cli';
import { LoopLab } from './helpers/loop-device';

/**
 * A plain `macula flash` (a local raw image, no seed, no block map) loads no npm package it does not use (issue 3: a
 * flash within 100 MB; each of these holds 3–16 MiB of resident memory once imported). Checked on a real flash with a
 * module-load probe: ESM resolve hooks and CommonJS require, every package URL reported to the main thread.
 */
const MiB = 1 << 20;

/** Packages of other commands and of the unused options: fleet, discovery, trust, seeding, bmaps, other formats. */
const NOT_FOR_A_PLAIN_FLASH = [
  'better-sqlite3',
  'multicast-dns',
  'bonjour-service',
  'openpgp',
  '@peculiar/x509',
  'qrcode',
  'react',
  'yaml',
  'blockmap',
  'ext2fs',
  'gpt',
  'partitioninfo',
  'yauzl',
  'unbzip2-stream',
  'node-liblzma',
  'zstd-napi',
];

/** Preloaded with --import: records the npm packages the process loads and writes them to $MODULE_PROBE_OUT at exit. */
const PROBE = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
const loaded = new Set();
const note = (url) => { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(String(url)); if (m) loaded.add(m[1]); };
const { port1, port2 } = new MessageChannel();
port1.on('message', note);
port1.unref();
register('data:text/javascript,' + encodeURIComponent(\`
  let port;
  export function initialize(data) { port = data.port; }
  export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r; }
\`), { data: { port: port2 }, transferList: [port2] });
const Module = createRequire(import.meta.url)('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) { const m = load.apply(this, arguments); try { note(Module._resolveFilename(request, parent, isMain)); } catch {} return m; };
process.on('exit', () => writeFileSync(process.env.MODULE_PROBE_OUT, JSON.stringify([...loaded].sort())));
`;

describe.skipIf(process.getuid?.() !== 0)('the modules a plain macula flash loads (root: a real loop device)', () => {
  let lab: LoopLab;
  let probe: string;
  let image: string;

  beforeAll(() => {
    lab = new LoopLab();
    probe = join(lab.dir, 'module-probe.mjs');
    writeFileSync(probe, PROBE);
    image = lab.sparseFile(8, 'plain.img');
    execFileSync('sh', ['-c', `head -c ${4 * MiB} /dev/urandom | dd of='${image}' conv=notrunc status=none`]);
  });
  afterAll(() => lab.dispose());

  it('are the engine’s own: no fleet, trust, seed, bmap or other-format package', async () => {
    const target = lab.create({ sizeMiB: 16 });
    const out = join(lab.dir, 'loaded.json');
    const run = await macula(['flash', image, '--to', target.device, '--yes', '--json'], { NODE_OPTIONS: `--import ${probe}`, MODULE_PROBE_OUT: out });
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ ok: true, verified: true });
    const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[];
    // The probe sees packages at all: the O_DIRECT addon is loaded by every flash.
    expect(loaded).toContain('@ronomon/direct-io');
    expect(loaded.filter((p) => NOT_FOR_A_PLAIN_FLASH.includes(p))).toEqual([]);
  }, 60_000);
});
