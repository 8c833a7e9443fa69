import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireStreaming } from '../electron/engine/acquire/stream-acquire';
import { runWriter } from '../electron/engine/writer-process/writer-client';
import { macula } from './helpers/cli';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type TestServer, startHttpTestServer } from './helpers/http-test-server';
import { LoopLab } from './helpers/loop-device';

/**
 * Streaming flash (docs/flashing.md, "Streaming from a download"), end to end on loop devices with a real HTTP server
 * on 127.0.0.1 and SHA256SUMS signed by a real GnuPG key: the image is written while it downloads, and nothing of an
 * image whose bytes do not match the signed SHA-256 ever becomes bootable.
 */

const MiB = 1 << 20;
const repo = resolve(import.meta.dirname, '..');
const root = process.getuid?.() === 0;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const deviceBytes = (device: string, length: number): Buffer =>
  execFileSync('dd', [`if=${device}`, 'bs=1M', `count=${Math.ceil(length / MiB)}`, 'iflag=direct', 'status=none'], { maxBuffer: 1 << 30 }).subarray(0, length);
const NOBODY = 65534;

describe.skipIf(!root)('macula flash URL streams: written while downloading, bootable only once verified (root, loops)', () => {
  let lab: LoopLab;
  let gpg: GpgHome;
  let server: TestServer;
  let keyFile: string;
  let image: Buffer;
  let configDir: string;

  /** Serves `bytes` as /rel/os.img with SHA256SUMS signed for `signedFor` (default: the same bytes). */
  async function publish(bytes: Buffer, signedFor: Buffer = bytes): Promise<void> {
    const sums = Buffer.from(`${sha256(signedFor)}  os.img\n`);
    server.setFile('/rel/os.img', bytes);
    server.setFile('/rel/SHA256SUMS', sums);
    server.setFile('/rel/SHA256SUMS.asc', Buffer.from(await gpg.sign(sums, { armor: true })));
  }
  const flashArgs = (cache: string, ...targets: string[]): string[] => [
    'flash',
    server.url('/rel/os.img'),
    '--sums',
    server.url('/rel/SHA256SUMS'),
    '--sig',
    server.url('/rel/SHA256SUMS.asc'),
    '--key',
    keyFile,
    '--allow-http',
    '--cache',
    cache,
    ...targets.flatMap((t) => ['--to', t]),
    '--yes',
    '--json',
  ];
  const imageGets = (): number => server.log.filter((r) => r.path === '/rel/os.img').length;
  const env = (): Record<string, string> => ({ MACULA_CONFIG_DIR: configDir });

  beforeAll(async () => {
    lab = new LoopLab();
    gpg = await createGpgHome();
    keyFile = join(lab.dir, 'release-key.asc');
    writeFileSync(keyFile, gpg.publicKeyArmored);
    configDir = join(lab.dir, 'config');
    // An RPi-like image: MBR with two partitions, random bytes in them, 24 MiB (six 4 MiB chunks).
    const file = lab.sparseFile(24, 'os.img');
    execFileSync('sfdisk', ['-q', file], { input: 'label: dos\n1MiB,8MiB,c\n,,83\n' });
    image = readFileSync(file);
    randomBytes(20 * MiB).copy(image, 2 * MiB);
  });
  beforeEach(async () => {
    server = await startHttpTestServer();
  });
  afterEach(async () => {
    await server.close();
    lab.cleanup();
  });
  afterAll(async () => {
    lab.dispose();
    await gpg.cleanup();
  });

  it('writes the targets while the image still downloads, verified, and fills the cache', async () => {
    await publish(image);
    // 24 MiB at 8 MB/s: about three seconds of download, during which the writes must already be under way.
    server.throttle('/rel/os.img', 8_000_000);
    const a = lab.create({ sizeMiB: 32 });
    const cache = join(lab.dir, 'cache-live');
    const run = await macula(flashArgs(cache, a.device), env());
    expect(run.code, run.stderr).toBe(0);
    const firstWrite = run.events.findIndex((e) => e['event'] === 'progress' && e['target'] === a.device && Number(e['bytes']) > 0);
    const lastDownload = run.events.map((e) => e['event'] === 'progress' && e['label'] === 'downloading').lastIndexOf(true);
    expect(firstWrite).toBeGreaterThanOrEqual(0);
    expect(firstWrite).toBeLessThan(lastDownload);
    expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ path: a.device, ok: true, verified: true });
    expect(sha256(deviceBytes(a.device, image.length))).toBe(sha256(image));
    expect(readFileSync(join(cache, 'sha256', sha256(image), 'os.img')).equals(image)).toBe(true);
  });

  it('a tampered image (one byte after the first chunk, sums signed for the original) fails, its head never written', async () => {
    const tampered = Buffer.from(image);
    tampered[10 * MiB] = (tampered[10 * MiB] ?? 0) ^ 0xff;
    await publish(tampered, image);
    const a = lab.create({ sizeMiB: 32 });
    const cache = join(lab.dir, 'cache-tampered');
    const run = await macula(flashArgs(cache, a.device), env());
    expect(run.code).toBe(3);
    // It did stream (bytes past the first chunk went out before the hash was known) ...
    expect(run.events.some((e) => e['event'] === 'streaming')).toBe(true);
    // ... yet the first MiB, which makes the target bootable, is what the target held before: zeros.
    expect(deviceBytes(a.device, MiB).equals(Buffer.alloc(MiB))).toBe(true);
    expect(run.stdout + run.stderr).toMatch(/SHA-256 .* does not match.*before the target's first MiB/);
    expect(existsSync(join(cache, 'sha256', sha256(image), 'os.img'))).toBe(false);
  });

  it('a transfer cut once resumes with Range and gives a verified flash', async () => {
    await publish(image);
    server.dropAfter('/rel/os.img', 10 * MiB, 1);
    const a = lab.create({ sizeMiB: 32 });
    const run = await macula(flashArgs(join(lab.dir, 'cache-cut'), a.device), env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.some((e) => e['event'] === 'streaming')).toBe(true);
    const gets = server.log.filter((r) => r.path === '/rel/os.img');
    expect(gets).toHaveLength(2);
    expect(gets[1]?.headers.range).toBe(`bytes=${10 * MiB}-`);
    expect(sha256(deviceBytes(a.device, image.length))).toBe(sha256(image));
  });

  it('a server whose file changes (ETag) mid-transfer: the write starts again from the verified file', async () => {
    // First served: another build (same size); the signed sums name the image. The transfer is cut, and meanwhile the
    // server's file becomes the signed image: the resumed request's If-Range fails and the whole new file comes.
    const other = Buffer.from(image);
    randomBytes(4 * MiB).copy(other, 12 * MiB);
    await publish(other, image);
    server.dropAfter('/rel/os.img', 14 * MiB, 1);
    const a = lab.create({ sizeMiB: 32 });
    const running = macula(flashArgs(join(lab.dir, 'cache-etag'), a.device), env());
    while (imageGets() === 0) await new Promise((r) => setTimeout(r, 5));
    server.setFile('/rel/os.img', image);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.some((e) => e['event'] === 'streaming')).toBe(true);
    const gets = server.log.filter((r) => r.path === '/rel/os.img');
    expect(gets[1]?.headers['if-range']).toBeDefined();
    expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ path: a.device, ok: true, verified: true });
    expect(sha256(deviceBytes(a.device, image.length))).toBe(sha256(image));
  });

  it('streams one download to two targets, and a second flash reads the cache without the network', async () => {
    await publish(image);
    server.throttle('/rel/os.img', 16_000_000);
    const [a, b] = [lab.create({ sizeMiB: 32 }), lab.create({ sizeMiB: 40 })];
    const cache = join(lab.dir, 'cache-two');
    const run = await macula(flashArgs(cache, a.device, b.device), env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.some((e) => e['event'] === 'streaming')).toBe(true);
    for (const t of [a, b]) expect(sha256(deviceBytes(t.device, image.length))).toBe(sha256(image));
    expect(imageGets()).toBe(1);

    const c = lab.create({ sizeMiB: 32 });
    const again = await macula(flashArgs(cache, c.device), env());
    expect(again.code, again.stderr).toBe(0);
    expect(again.events.find((e) => e['event'] === 'downloaded')).toMatchObject({ fromCache: true });
    expect(imageGets()).toBe(1);
    expect(sha256(deviceBytes(c.device, image.length))).toBe(sha256(image));
  });

  it('a multi-Block .xz streams through its sequential decoder (its Index is at the end), verified', async () => {
    // Compressible (xz of 20 MiB of random bytes takes 20 s here): the random head, then a 64 KiB block repeated.
    const plain = Buffer.from(image);
    for (let at = 6 * MiB; at < plain.length; at += 64 << 10) image.copy(plain, at, 2 * MiB, 2 * MiB + (64 << 10));
    const file = join(lab.dir, 'os-xz.img');
    writeFileSync(file, plain);
    execFileSync('xz', ['-T2', '--block-size=4MiB', '-1', '-k', file]);
    const xz = readFileSync(`${file}.xz`);
    const sums = Buffer.from(`${sha256(xz)}  os.img.xz\n`);
    server.setFile('/rel/os.img.xz', xz);
    server.setFile('/rel/SHA256SUMS', sums);
    server.setFile('/rel/SHA256SUMS.asc', Buffer.from(await gpg.sign(sums, { armor: true })));
    server.throttle('/rel/os.img.xz', 2_000_000);
    const a = lab.create({ sizeMiB: 32 });
    const args = flashArgs(join(lab.dir, 'cache-xz'), a.device).map((arg) => (arg === server.url('/rel/os.img') ? server.url('/rel/os.img.xz') : arg));
    const run = await macula(args, env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.some((e) => e['event'] === 'streaming')).toBe(true);
    expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ path: a.device, ok: true, verified: true });
    expect(sha256(deviceBytes(a.device, plain.length))).toBe(sha256(plain));
  });

  it('a refused target ends the flash at once: the download stops with it, nothing is written', async () => {
    await publish(image);
    // Twelve seconds of download; the refusal must not wait for it.
    server.throttle('/rel/os.img', 2_000_000);
    const small = lab.create({ sizeMiB: 16 });
    const started = performance.now();
    const run = await macula(flashArgs(join(lab.dir, 'cache-refused'), small.device), env());
    const seconds = (performance.now() - started) / 1000;
    expect(run.code).toBe(6);
    expect(seconds).toBeLessThan(8);
    expect(deviceBytes(small.device, 16 * MiB).equals(Buffer.alloc(16 * MiB))).toBe(true);
  });

  it('a seeded flash streams too: image written as it downloads, MACULAOS_STATE added after it', async () => {
    await publish(image);
    server.throttle('/rel/os.img', 16_000_000);
    const a = lab.create({ sizeMiB: 128 });
    const run = await macula([...flashArgs(join(lab.dir, 'cache-seed'), a.device), '--hostname', 'stream-node', '--timezone', 'UTC'], env());
    expect(run.code, run.stdout.slice(-2000) + run.stderr).toBe(0);
    expect(run.events.some((e) => e['event'] === 'streaming')).toBe(true);
    expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ path: a.device, ok: true, verified: true, state: { table: 'mbr', partition: 3 } });
    // The image's own bytes after its partition table are the image's.
    expect(sha256(deviceBytes(a.device, image.length).subarray(MiB))).toBe(sha256(image.subarray(MiB)));
    expect(execFileSync('sfdisk', ['-d', a.device], { encoding: 'utf8' })).toMatch(/type=c[\s\S]*type=83[\s\S]*type=83/);
  });
});

describe.skipIf(!root)('the elevated writer streams a growing image (root, PKEXEC_UID=nobody)', () => {
  let lab: LoopLab;
  let server: TestServer;
  let cache: string;
  const writer = (device: string): [string, ...string[]] => [
    'env',
    `PKEXEC_UID=${NOBODY}`,
    process.execPath,
    '--import',
    'tsx',
    join(repo, 'electron/cli/macula.ts'),
    'write',
    '--ipc',
    '--drive',
    device,
  ];

  beforeAll(() => {
    lab = new LoopLab();
  });
  beforeEach(async () => {
    server = await startHttpTestServer();
    // A cache the invoking user (nobody) may read, as their own would be.
    cache = mkdtempSync(join(tmpdir(), 'macula-stream-cache-'));
    chmodSync(cache, 0o755);
  });
  afterEach(async () => {
    await server.close();
    rmSync(cache, { recursive: true, force: true });
    lab.cleanup();
  });
  afterAll(() => lab.dispose());

  async function streamTo(device: string, served: Buffer, signed: Buffer) {
    server.setFile('/os.img', served);
    // Slow enough (6 s) that the writer, started meanwhile, reads the file while it grows.
    server.throttle('/os.img', 4_000_000);
    const acquisition = await acquireStreaming({ origin: { kind: 'url', url: server.url('/os.img') }, sha256: sha256(signed), keys: [], cacheDir: cache, allowHttp: true });
    if (acquisition.kind !== 'streaming') throw new Error('expected a streaming acquisition');
    const { stream } = acquisition;
    const progress: number[] = [];
    const written = runWriter({
      command: writer(device),
      image: stream.path,
      targets: [device],
      verify: true,
      sha256: stream.sha256,
      growing: { expectedSize: stream.expectedSize, downloaded: stream.downloaded },
      onProgress: (p) => void (p.phase === 'writing' && progress.push(p.bytes)),
    });
    const downloadedAt = stream.downloaded.then(() => progress.at(-1) ?? 0, () => progress.at(-1) ?? 0);
    const result = await written.catch((e: unknown) => e as Error);
    await stream.settle().catch(() => undefined);
    return { result, writtenBeforeDownloadEnded: await downloadedAt };
  }

  it('writes while the download runs and ends verified once told the file is complete', async () => {
    const bytes = randomBytes(24 * MiB);
    const a = lab.create({ sizeMiB: 32 });
    const { result, writtenBeforeDownloadEnded } = await streamTo(a.device, bytes, bytes);
    expect(result).toMatchObject({ kind: 'result', sha256: sha256(bytes), targets: [{ ok: true, verified: true }] });
    expect(writtenBeforeDownloadEnded).toBeGreaterThan(0);
    expect(sha256(deviceBytes(a.device, bytes.length))).toBe(sha256(bytes));
  });

  it('a tampered download is cancelled: the writer never writes its first MiB', async () => {
    const bytes = randomBytes(24 * MiB);
    const tampered = Buffer.from(bytes);
    tampered[9 * MiB] = (tampered[9 * MiB] ?? 0) ^ 1;
    const a = lab.create({ sizeMiB: 32 });
    const { result, writtenBeforeDownloadEnded } = await streamTo(a.device, tampered, bytes);
    expect(writtenBeforeDownloadEnded).toBeGreaterThan(0);
    expect(result).toBeInstanceOf(Error);
    expect(deviceBytes(a.device, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  });
});
