import { execFileSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type EtcherSdk, ensureEtcherSdk } from './etcher-sdk';
import { type ImageFixtures, ensure, imageFixtures, work } from './fixtures';
import { runStreamRegime } from './flash-stream';
import { type LoopTarget, BlkioThrottle, attachLoop, blkioAvailable, detachLoop } from './loop-target';
import { type Measurement, type MeasureOptions, measureCommand, measureEngineWith, measureNodeScript } from './measure';

/**
 * `npm run bench -- flash` (issue 3): writing an image to a loop device and reading it back, our engine (openImage +
 * writeImage with verification) side by side with `dd` (+ a `dd` read-back), `xz -T2 -dc | dd`, `zstd -dc | dd` and
 * etcher-sdk, in three regimes: unthrottled (CPU-bound) and throttled by cgroup v1 blkio to USB2-like and USB3-like
 * rates. Prints wall time, CPU seconds and peak RSS of each, the ratios to dd and the issue's goals, met or not.
 * Not a test: nothing here asserts a time. The loop device and the cgroup are always removed, also on SIGINT/SIGTERM.
 */

const MB = 1_000_000;
// One cgroup per run, so that two checkouts can bench side by side without sharing a throttle.
const CGROUP_NAME = `macula-bench-${process.pid}`;

/**
 * BENCH_REGIMES=cpu,usb3 and BENCH_CONTENDERS=dd,ours-xz,xz-dd narrow a run to what a change is about (comma lists;
 * unset: everything). Ratios whose sides were not run print as n/a.
 */
function listFromEnv(name: string): readonly string[] | undefined {
  const value = process.env[name]?.trim();
  return value ? value.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
}

type ContenderId =
  | 'dd'
  | 'dd-write'
  | 'xz-dd'
  | 'zstd-dd'
  | 'ours-raw'
  | 'ours-raw-noverify'
  | 'ours-xz'
  | 'ours-zst'
  | 'etcher-raw'
  | 'etcher-xz'
  | 'ours-mbr'
  | 'ours-mbr-seeded'
  | 'ours-raw-discard'
  | 'dd-sparse'
  | 'bmaptool-sparse'
  | 'ours-sparse'
  | 'ours-sparse-noverify';

interface Contender {
  readonly id: ContenderId;
  readonly label: string;
  readonly ours: boolean;
  readonly run: (options: MeasureOptions) => Promise<Measurement>;
}

interface Regime {
  readonly key: 'cpu' | 'usb2' | 'usb3';
  readonly title: string;
  /** Bytes per second; undefined = unthrottled. */
  readonly writeBps?: number;
  readonly readBps?: number;
  readonly runs: number;
  readonly contenders: readonly ContenderId[];
}

const REGIMES: readonly Regime[] = [
  {
    key: 'cpu',
    title: 'CPU-bound (unthrottled loop device)',
    runs: 3,
    contenders: ['dd', 'dd-write', 'xz-dd', 'zstd-dd', 'ours-raw', 'ours-raw-noverify', 'ours-raw-discard', 'ours-xz', 'ours-zst', 'etcher-raw', 'etcher-xz', 'ours-mbr', 'ours-mbr-seeded', 'dd-sparse', 'bmaptool-sparse', 'ours-sparse', 'ours-sparse-noverify'],
  },
  {
    key: 'usb3',
    title: 'USB3-like (write 200 MB/s, read 400 MB/s)',
    writeBps: 200 * MB,
    readBps: 400 * MB,
    runs: 3,
    contenders: ['dd', 'xz-dd', 'zstd-dd', 'ours-raw', 'ours-raw-discard', 'ours-xz', 'ours-zst', 'ours-mbr', 'ours-mbr-seeded', 'dd-sparse', 'bmaptool-sparse', 'ours-sparse', 'ours-sparse-noverify'],
  },
  {
    key: 'usb2',
    title: 'USB2-like (write 50 MB/s, read 100 MB/s)',
    writeBps: 50 * MB,
    readBps: 100 * MB,
    runs: 2,
    contenders: ['dd', 'xz-dd', 'ours-raw', 'ours-raw-discard', 'ours-xz', 'ours-mbr', 'ours-mbr-seeded', 'dd-sparse', 'bmaptool-sparse', 'ours-sparse', 'ours-sparse-noverify'],
  },
];

/** The best run of a contender in a regime (its fastest wall time, with that run's CPU) and its peak RSS over runs. */
interface Result {
  readonly best?: Measurement;
  readonly peakRssMiB: number;
  readonly error?: string;
}

type Results = Map<Regime['key'], Map<ContenderId, Result>>;

function q(path: string): string {
  return `'${path.replace(/'/g, "'\\''")}'`;
}

/** The seeding comparison (issue 4): the image with an MBR, flashed as it is and with a seed. */
interface SeedFixtures {
  readonly image: string;
  readonly seed: string;
}

/** The image fixture with an MBR (one Linux partition over it), and a seed file with every kind of field. */
/** A 25 %-full ext4 filesystem image of the fixture's size (128 MiB of its bytes as one file) and its bmap. */
interface SparseFixtures {
  readonly image: string;
  readonly bmap: string;
}

function sparseFixtures(fx: ImageFixtures): SparseFixtures {
  const image = join(work, 'sparse-ext4.img');
  const bmap = `${image}.bmap`;
  const payload = join(work, 'sparse-payload');
  ensure(
    image,
    `rm -rf ${q(payload)} && mkdir -p ${q(payload)} && head -c ${fx.mib >> 2}M ${q(fx.image)} > ${q(join(payload, 'data.bin'))} && ` +
      `truncate -s ${fx.mib}M ${q(`${image}.tmp`)} && mkfs.ext4 -q -F -d ${q(payload)} ${q(`${image}.tmp`)} && rm -rf ${q(payload)} && mv ${q(`${image}.tmp`)} ${q(image)}`,
    'a 25 %-full ext4 image',
  );
  ensure(bmap, `bmaptool -q create -o ${q(`${bmap}.tmp`)} ${q(image)} && mv ${q(`${bmap}.tmp`)} ${q(bmap)}`, 'its bmap (bmaptool create)');
  return { image, bmap };
}

function seedFixtures(fx: ImageFixtures): SeedFixtures {
  const image = join(work, 'image-mbr.img');
  ensure(image, `cp ${q(fx.image)} ${q(`${image}.tmp`)} && printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q ${q(`${image}.tmp`)} && mv ${q(`${image}.tmp`)} ${q(image)}`, 'the image with an MBR');
  const seed = join(work, 'seed.yaml');
  writeFileSync(
    seed,
    '#cloud-config\nhostname: bench-node\nmaculaos:\n  timezone: Europe/Amsterdam\n  keyboard: us\n  locale: en_US.UTF-8\n' +
      '  mesh:\n    relay: true\n  portal:\n    url: https://portal.example.com\n    enrollment_token: bench-enrollment-token-0123456789\n',
  );
  return { image, seed };
}

/** Writes the loop's backing file whole again (zeros, O_DIRECT, untimed), as attachLoop did. */
function refillBacking(loop: LoopTarget): void {
  const blocks = Math.ceil(statSync(loop.backing).size / (4 << 20));
  execFileSync('dd', ['if=/dev/zero', `of=${loop.backing}`, 'bs=4M', `count=${blocks}`, 'oflag=direct', 'conv=notrunc,fsync', 'status=none']);
}

function contenders(fx: ImageFixtures, sx: SeedFixtures, px: SparseFixtures, loop: LoopTarget, etcher: EtcherSdk): Map<ContenderId, Contender> {
  const dev = q(loop.device);
  const blocks = Math.ceil((fx.mib << 20) / (4 << 20));
  const readBack = `dd if=${dev} of=/dev/null bs=4M iflag=direct count=${blocks} status=none`;
  const intoLoop = `dd of=${dev} bs=4M oflag=direct iflag=fullblock conv=fsync status=none`;
  const etcherScript = join(import.meta.dirname, 'etcher.cjs');
  const etcherRun = (image: string) => (options: MeasureOptions) =>
    etcher.ok ? measureNodeScript(etcherScript, [etcher.prefix, image, loop.device], options) : Promise.reject(new Error(etcher.why));
  const list: Contender[] = [
    {
      id: 'dd',
      label: 'dd raw + dd read-back',
      ours: false,
      run: (o) => measureCommand(`dd if=${q(fx.image)} of=${dev} bs=4M oflag=direct conv=fsync status=none && ${readBack}`, o),
    },
    { id: 'dd-write', label: 'dd raw, write only', ours: false, run: (o) => measureCommand(`dd if=${q(fx.image)} of=${dev} bs=4M oflag=direct conv=fsync status=none`, o) },
    { id: 'xz-dd', label: 'xz -T2 -dc | dd + read-back', ours: false, run: (o) => measureCommand(`xz -T2 -dc ${q(fx.xz)} | ${intoLoop} && ${readBack}`, o) },
    { id: 'zstd-dd', label: 'zstd -dc | dd + read-back', ours: false, run: (o) => measureCommand(`zstd -q -dc ${q(fx.zst)} | ${intoLoop} && ${readBack}`, o) },
    // --write-zeros: every byte written, as dd does and as on a stick without discard; ours-raw-discard below skips zeros.
    { id: 'ours-raw', label: 'macula raw, write + verify', ours: true, run: (o) => measureEngineWith(o, 'flash', fx.image, loop.device, '--write-zeros') },
    { id: 'ours-raw-noverify', label: 'macula raw, write only', ours: true, run: (o) => measureEngineWith(o, 'flash', fx.image, loop.device, '--no-verify') },
    {
      id: 'ours-raw-discard',
      label: 'macula raw, discard + skip zeros',
      ours: true,
      // The discard punches the image's range out of the backing file; it is written again (untimed) so that no
      // other run pays for re-allocating those blocks, nor reads holes back for free.
      run: async (o) => {
        try {
          return await measureEngineWith(o, 'flash', fx.image, loop.device);
        } finally {
          refillBacking(loop);
        }
      },
    },
    { id: 'ours-xz', label: 'macula .xz, write + verify', ours: true, run: (o) => measureEngineWith(o, 'flash', fx.xz, loop.device, '--write-zeros') },
    { id: 'ours-zst', label: 'macula .zst, write + verify', ours: true, run: (o) => measureEngineWith(o, 'flash', fx.zst, loop.device, '--write-zeros') },
    { id: 'etcher-raw', label: 'etcher-sdk raw, write + verify', ours: false, run: etcherRun(fx.image) },
    { id: 'etcher-xz', label: 'etcher-sdk .xz, write + verify', ours: false, run: etcherRun(fx.xz) },
    {
      id: 'dd-sparse',
      label: 'dd sparse ext4 + dd read-back',
      ours: false,
      run: (o) => measureCommand(`dd if=${q(px.image)} of=${dev} bs=4M oflag=direct conv=fsync status=none && ${readBack}`, o),
    },
    // bmaptool checks each range's checksum as it reads the image and fsyncs; it does not read the target back.
    { id: 'bmaptool-sparse', label: 'bmaptool copy (no read-back)', ours: false, run: (o) => measureCommand(`bmaptool -q copy --bmap ${q(px.bmap)} ${q(px.image)} ${dev}`, o) },
    { id: 'ours-sparse', label: 'macula bmap, write + verify', ours: true, run: (o) => measureEngineWith(o, 'flash', px.image, loop.device, '--bmap', px.bmap) },
    {
      id: 'ours-sparse-noverify',
      label: 'macula bmap, write only',
      ours: true,
      run: (o) => measureEngineWith(o, 'flash', px.image, loop.device, '--bmap', px.bmap, '--no-verify'),
    },
    { id: 'ours-mbr', label: 'macula raw+MBR, write + verify', ours: true, run: (o) => measureEngineWith(o, 'flash', sx.image, loop.device, '--write-zeros') },
    {
      id: 'ours-mbr-seeded',
      label: 'macula raw+MBR seeded, + verify',
      ours: true,
      run: (o) => measureEngineWith(o, 'flash', sx.image, loop.device, '--write-zeros', '--seed', sx.seed),
    },
  ];
  return new Map(list.map((c) => [c.id, c]));
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('Command failed')) ?? text;
}

/** Runs every contender of a regime `runs` times, interleaved run by run so a noisy moment hurts no side alone. */
async function runRegime(regime: Regime, all: Map<ContenderId, Contender>, options: MeasureOptions): Promise<Map<ContenderId, Result>> {
  const results = new Map<ContenderId, Result>();
  for (let run = 0; run < regime.runs; run++) {
    for (const id of regime.contenders) {
      const contender = all.get(id)!;
      const sofar = results.get(id) ?? { peakRssMiB: 0 };
      if (sofar.error !== undefined) continue;
      try {
        const m = await contender.run(options);
        const best = sofar.best === undefined || m.seconds < sofar.best.seconds ? m : sofar.best;
        results.set(id, { best, peakRssMiB: Math.max(sofar.peakRssMiB, m.maxRssMiB) });
      } catch (err) {
        results.set(id, { ...sofar, error: firstLine(err) });
      }
    }
  }
  return results;
}

function printRegime(regime: Regime, results: Map<ContenderId, Result>, all: Map<ContenderId, Contender>, mib: number): void {
  console.log(`\n${regime.title}, best of ${regime.runs}:`);
  console.log(`  ${'contender'.padEnd(34)} ${'wall s'.padStart(7)} ${'MiB/s'.padStart(6)} ${'CPU s'.padStart(6)} ${'peak RSS'.padStart(9)}`);
  for (const id of regime.contenders) {
    const label = all.get(id)!.label;
    const r = results.get(id);
    if (r?.best === undefined) {
      console.log(`  ${label.padEnd(34)} not measured: ${r?.error ?? 'no run'}`);
      continue;
    }
    const b = r.best;
    const failed = r.error !== undefined ? `  (a later run failed: ${r.error})` : '';
    console.log(
      `  ${label.padEnd(34)} ${b.seconds.toFixed(2).padStart(7)} ${(mib / b.seconds).toFixed(0).padStart(6)} ${b.cpuSeconds.toFixed(2).padStart(6)} ${`${r.peakRssMiB.toFixed(0)} MiB`.padStart(9)}${failed}`,
    );
  }
}

/** ours / reference wall time, with the goal (≤) when there is one. */
function ratioLine(label: string, results: Map<ContenderId, Result>, ours: ContenderId, reference: ContenderId, goal?: number): string {
  const a = results.get(ours)?.best;
  const b = results.get(reference)?.best;
  const goalText = goal === undefined ? '' : `goal ≤ ${goal.toFixed(2)}: `;
  if (a === undefined || b === undefined) return `  ${label.padEnd(48)}   n/a  ${goal === undefined ? '' : `(${goalText}NOT measured)`}`;
  const r = a.seconds / b.seconds;
  const verdict = goal === undefined ? '' : `(${goalText}${r <= goal ? 'met' : 'NOT met'})`;
  return `  ${label.padEnd(48)} ${r.toFixed(2).padStart(5)}×  ${verdict}`;
}

function printRatios(regime: Regime, results: Map<ContenderId, Result>): void {
  const lines: string[] = [];
  const has = (id: ContenderId): boolean => regime.contenders.includes(id);
  lines.push(ratioLine('macula raw / dd (both + read-back)', results, 'ours-raw', 'dd', regime.key === 'usb2' ? 1.03 : regime.key === 'usb3' ? 1.05 : undefined));
  if (has('dd-write') && has('ours-raw-noverify')) lines.push(ratioLine('macula raw write only / dd write only', results, 'ours-raw-noverify', 'dd-write'));
  lines.push(ratioLine('macula .xz / xz -T2 -dc | dd (+ read-back)', results, 'ours-xz', 'xz-dd', regime.key === 'usb3' ? 1.05 : undefined));
  if (has('ours-raw-discard')) lines.push(ratioLine('macula raw, discard + skip zeros / dd (+ read-back)', results, 'ours-raw-discard', 'dd'));
  if (has('ours-sparse')) {
    lines.push(ratioLine('macula bmap / dd sparse image (both + read-back)', results, 'ours-sparse', 'dd-sparse', 1 / 3));
    // Like for like: bmaptool copy checks the image's ranges and fsyncs but never reads the target back.
    lines.push(ratioLine('macula bmap write only / bmaptool copy (neither reads back)', results, 'ours-sparse-noverify', 'bmaptool-sparse', 1));
    lines.push(ratioLine('macula bmap + verify / bmaptool copy', results, 'ours-sparse', 'bmaptool-sparse'));
  }
  if (has('zstd-dd')) lines.push(ratioLine('macula .zst / zstd -dc | dd (+ read-back)', results, 'ours-zst', 'zstd-dd'));
  if (has('etcher-raw')) lines.push(ratioLine('macula raw / etcher-sdk raw (write + verify)', results, 'ours-raw', 'etcher-raw', regime.key === 'cpu' ? 0.7 : undefined));
  if (has('etcher-xz')) lines.push(ratioLine('macula .xz / etcher-sdk .xz (write + verify)', results, 'ours-xz', 'etcher-xz'));
  const etcherRaw = results.get('etcher-raw')?.best;
  const ddBoth = results.get('dd')?.best;
  if (regime.key === 'cpu' && etcherRaw && ddBoth) {
    // The 0.7 × etcher goal against the device's own floor: a full read-back after the whole write (what catches a
    // fake-capacity drive that wraps writes around) cannot take less than dd writing and then reading the same bytes.
    lines.push(`  (0.7 × etcher-sdk = ${(0.7 * etcherRaw.seconds).toFixed(2)} s; dd write, then dd read-back: ${ddBoth.seconds.toFixed(2)} s)`);
  }
  console.log('  ratios of wall time (lower is better for macula):');
  for (const line of lines) console.log(line);
  console.log(seedingLine(results));
}

/** What seeding adds to a flash (issue 4: under 1 s): the seeded flash's wall time minus the same flash unseeded. */
function seedingLine(results: Map<ContenderId, Result>): string {
  const plain = results.get('ours-mbr')?.best;
  const seeded = results.get('ours-mbr-seeded')?.best;
  const label = 'seeding adds (seeded - unseeded, goal < 1 s)';
  if (plain === undefined || seeded === undefined) return `  ${label.padEnd(48)}   n/a`;
  const added = seeded.seconds - plain.seconds;
  return `  ${label.padEnd(48)} ${added.toFixed(2).padStart(5)} s (${added < 1 ? 'met' : 'NOT met'}; CPU +${(seeded.cpuSeconds - plain.cpuSeconds).toFixed(2)} s)`;
}

function goalLine(text: string, results: Results, regime: Regime['key'], ours: ContenderId, reference: ContenderId, goal: number): string {
  const a = results.get(regime)?.get(ours)?.best;
  const b = results.get(regime)?.get(reference)?.best;
  if (a === undefined || b === undefined) return `  ${text.padEnd(58)} NOT measured`;
  const r = a.seconds / b.seconds;
  return `  ${text.padEnd(58)} ${r.toFixed(2)}× (${a.seconds.toFixed(2)} s vs ${b.seconds.toFixed(2)} s)  ${r <= goal ? 'met' : 'NOT met'}`;
}

function printGoals(results: Results, all: Map<ContenderId, Contender>): void {
  console.log('\ngoals (issue 3):');
  console.log(goalLine('USB2-like raw ≤ 1.03 × dd (+ read-back)', results, 'usb2', 'ours-raw', 'dd', 1.03));
  console.log(goalLine('USB3-like raw ≤ 1.05 × dd (+ read-back)', results, 'usb3', 'ours-raw', 'dd', 1.05));
  console.log(goalLine('USB3-like .xz ≤ 1.05 × (xz -T2 -dc | dd + read-back)', results, 'usb3', 'ours-xz', 'xz-dd', 1.05));
  console.log(goalLine('CPU-bound write + verify ≤ 0.7 × etcher-sdk wall (raw)', results, 'cpu', 'ours-raw', 'etcher-raw', 0.7));
  for (const regime of ['cpu', 'usb3', 'usb2'] as const) {
    console.log(goalLine(`${regime}: sparse (bmap) ≥ 3 × faster than dd`, results, regime, 'ours-sparse', 'dd-sparse', 1 / 3));
    console.log(goalLine(`${regime}: sparse write only no slower than bmaptool copy`, results, regime, 'ours-sparse-noverify', 'bmaptool-sparse', 1));
  }
  let peak = 0;
  let where = '';
  for (const [regime, byContender] of results) {
    for (const [id, r] of byContender) {
      if (all.get(id)?.ours && r.peakRssMiB > peak) {
        peak = r.peakRssMiB;
        where = `${all.get(id)!.label}, ${regime}`;
      }
    }
  }
  const limitMiB = (100 * MB) / (1 << 20);
  console.log(`  ${'peak RSS ≤ 100 MB (95.4 MiB), every macula run'.padEnd(58)} ${peak.toFixed(1)} MiB (${where})  ${peak > 0 && peak <= limitMiB ? 'met' : 'NOT met'}`);
}

/** dd of 100 MiB through the group at the USB2-like limits: ≈2.1 s to write at 50 MB/s, ≈1.05 s to read at 100 MB/s. */
async function checkThrottle(throttle: BlkioThrottle, loop: LoopTarget): Promise<boolean> {
  throttle.set(50 * MB, 100 * MB);
  const bytes = 100 << 20;
  const w = await measureCommand(`dd if=/dev/zero of=${q(loop.device)} bs=4M count=25 oflag=direct status=none`, { prefix: throttle.prefix });
  const r = await measureCommand(`dd if=${q(loop.device)} of=/dev/null bs=4M count=25 iflag=direct status=none`, { prefix: throttle.prefix });
  const wOk = w.seconds > 1.8 && w.seconds < 2.6;
  const rOk = r.seconds > 0.9 && r.seconds < 1.3;
  const line = (what: string, m: Measurement, expected: number, ok: boolean): string =>
    `  throttle check: ${what} 100 MiB: ${m.seconds.toFixed(2)} s = ${(bytes / m.seconds / MB).toFixed(1)} MB/s (expected ≈${expected.toFixed(2)} s) ${ok ? 'ok' : 'NOT as expected'}`;
  console.log(line('dd oflag=direct at 50 MB/s, write', w, bytes / (50 * MB), wOk));
  console.log(line('dd iflag=direct at 100 MB/s, read', r, bytes / (100 * MB), rOk));
  return wOk && rOk;
}

/** The flash suite. */
export async function runFlashBench(): Promise<void> {
  await mkdir(work, { recursive: true });
  if (process.getuid?.() !== 0) {
    console.log('flash benchmark: skipped, it needs root (loop devices, cgroup v1 blkio)');
    return;
  }
  // The stream regime (bench/flash-stream.ts) has fixtures, server and loop of its own: BENCH_REGIMES=stream runs it alone.
  const only = listFromEnv('BENCH_REGIMES');
  if (!only || only.includes('stream')) await runStreamRegime();
  if (only?.every((r) => r === 'stream')) return;
  const fx = imageFixtures();
  const imageBytes = statSync(fx.image).size;
  const etcher = ensureEtcherSdk(join(work, 'etcher-sdk'));
  const backing = join(work, 'flash-target.img');

  let loop: LoopTarget | undefined;
  let throttle: BlkioThrottle | undefined;
  const cleanup = (): void => {
    try {
      throttle?.remove();
      throttle = undefined;
    } catch (err) {
      console.error(`could not remove the cgroup: ${firstLine(err)}`);
    }
    try {
      if (loop) detachLoop(loop);
      loop = undefined;
      rmSync(backing, { force: true });
    } catch (err) {
      console.error(`could not detach the loop device: ${firstLine(err)}`);
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: removing the cgroup and detaching the loop device`);
    cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Room after the image for the seeded runs' MACULAOS_STATE partition (64 MiB, ending before a backup GPT's place).
    loop = attachLoop(backing, imageBytes + (72 << 20));
    const all = contenders(fx, seedFixtures(fx), sparseFixtures(fx), loop, etcher);
    console.log(`flash benchmark: write + read-back of a ${fx.mib} MiB image-like image (85% tar of /usr, 15% zeros) to a loop device`);
    console.log(`  image: ${fx.image} (.xz ${(statSync(fx.xz).size / MB).toFixed(0)} MB multi-block xz -T2 -6, .zst ${(statSync(fx.zst).size / MB).toFixed(0)} MB zstd -3)`);
    console.log(`  target: ${loop.device} (${loop.majMin}) over ${backing} (${fx.mib + 72} MiB, pre-written), --direct-io=on: dio=${loop.dio ? 1 : 0}`);
    console.log('  seeding: the same image with an MBR, flashed plain and with a seed (64 MiB MACULAOS_STATE written and read back)');
    console.log('  macula: bench/probe.ts `flash` bundled with esbuild (split: it loads only the modules a flash imports) in its own');
    console.log('          Node process;');
    console.log('          wall = openImage + writeImage incl. verify (Node start-up excluded), CPU = process.cpuUsage over that span');
    console.log('  dd/xz/zstd: the whole shell command under /usr/bin/time (CPU = user + sys of it and its children)');
    console.log('  peak RSS: GNU time %M of the largest process, highest over the runs; wall and CPU: the fastest run');
    if (etcher.ok) {
      console.log(`  etcher-sdk ${etcher.version} (bench/etcher.cjs, installed in ${etcher.prefix}): File source (getInnerSource for .xz) →`);
      console.log('          its own BlockDevice (O_DIRECT, O_EXCL) built from a hand-made drivelist-shaped description of the loop');
      console.log('          (drivelist does not list loop devices); pipeSourceToDestinations({ verify: true }); it does not fsync');
    } else {
      console.log(`  etcher-sdk: cannot be used, so not measured:\n    ${etcher.why}`);
    }
    console.log(`  runs: ${REGIMES.map((r) => `${r.title.split(' (')[0]} best of ${r.runs}`).join(', ')}; ${fx.mib} MiB in every regime;`);
    console.log('        contenders interleaved run by run; every run overwrites the whole image on the target');

    const results: Results = new Map();
    let throttled = blkioAvailable();
    if (throttled) {
      throttle = new BlkioThrottle(CGROUP_NAME, loop.majMin);
      console.log(`  throttling: cgroup v1 ${throttle.dir}, blkio.throttle.{write,read}_bps_device "${loop.majMin} BYTES"; each command joins it`);
      throttled = await checkThrottle(throttle, loop);
      if (!throttled) console.log('  throttling does not hold the set rates here: the throttled regimes are skipped');
    } else {
      console.log('  throttling: no cgroup v1 blkio controller at /sys/fs/cgroup/blkio, the throttled regimes are skipped');
    }

    const regimes = listFromEnv('BENCH_REGIMES');
    const picked = listFromEnv('BENCH_CONTENDERS');
    for (const whole of REGIMES) {
      if (regimes && !regimes.includes(whole.key)) continue;
      const regime = picked ? { ...whole, contenders: whole.contenders.filter((id) => picked.includes(id)) } : whole;
      let options: MeasureOptions = {};
      if (regime.writeBps !== undefined && regime.readBps !== undefined) {
        if (!throttled || !throttle) continue;
        throttle.set(regime.writeBps, regime.readBps);
        options = { prefix: throttle.prefix };
      }
      const started = performance.now();
      const byContender = await runRegime(regime, all, options);
      results.set(regime.key, byContender);
      printRegime(regime, byContender, all, fx.mib);
      printRatios(regime, byContender);
      console.log(`  (regime took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    printGoals(results, all);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}
