import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runWriter } from '../electron/engine/writer-process/writer-client';
import { macula } from './helpers/cli';
import { startHttpTestServer } from './helpers/http-test-server';
import { LoopLab } from './helpers/loop-device';

const MiB = 1 << 20;
const repo = resolve(import.meta.dirname, '..');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** SHA-256 of the first `length` bytes of a device, read without the page cache. */
const deviceHash = (device: string, length: number): string =>
  sha256(execFileSync('dd', [`if=${device}`, 'bs=1M', `count=${length / MiB}`, 'iflag=direct', 'status=none'], { maxBuffer: 1 << 30 }));
const writerCommand: [string, ...string[]] = [process.execPath, '--import', 'tsx', join(repo, 'electron/cli/macula.ts'), 'write', '--ipc'];

describe.skipIf(process.getuid?.() !== 0)('macula flash and the writer process, on real loop devices (root)', () => {
  let lab: LoopLab;
  let image: string;
  let imageBytes: Buffer;

  beforeAll(() => {
    lab = new LoopLab();
    // A Raspberry-Pi-like image: MBR with a FAT-type and a Linux partition, random bytes inside.
    image = lab.sparseFile(24, 'rpi.img');
    execFileSync('sfdisk', ['-q', image], { input: 'label: dos\n1MiB,8MiB,c\n,,83\n' });
    const fd = readFileSync(image);
    randomBytes(20 * MiB).copy(fd, 2 * MiB);
    writeFileSync(image, fd);
    execFileSync('gzip', ['-k', '-1', image]);
    imageBytes = readFileSync(image);
  });
  afterEach(() => lab.cleanup());
  afterAll(() => lab.dispose());

  it('writes a gzip image to two loops at once, verified, byte-identical, partition table intact', async () => {
    const a = lab.create({ sizeMiB: 32 });
    const b = lab.create({ sizeMiB: 40 });
    const run = await macula(['flash', `${image}.gz`, '--to', a.device, '--to', b.device, '--yes', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.events.filter((e) => e['event'] === 'target')).toMatchObject([
      { path: a.device, ok: true, verified: true },
      { path: b.device, ok: true, verified: true },
    ]);
    expect(run.events.find((e) => e['event'] === 'flashed')).toMatchObject({ sha256: sha256(imageBytes), size: imageBytes.length });
    for (const loop of [a, b]) {
      expect(deviceHash(loop.device, imageBytes.length)).toBe(sha256(imageBytes));
      expect(execFileSync('sfdisk', ['-d', loop.device], { encoding: 'utf8' })).toMatch(/type=c[\s\S]*type=83/);
    }
  });

  it('flashes straight from a URL: written as it downloads, hash-checked, cached, verified', async () => {
    const server = await startHttpTestServer();
    try {
      const gz = readFileSync(`${image}.gz`);
      server.setFile('/rpi.img.gz', gz);
      const a = lab.create({ sizeMiB: 32 });
      const cache = join(lab.dir, 'flash-cache');
      const run = await macula(['flash', server.url('/rpi.img.gz'), '--sha256', sha256(gz), '--allow-http', '--cache', cache, '--to', a.device, '--yes', '--json']);
      expect(run.code).toBe(0);
      expect(run.events.find((e) => e['event'] === 'downloaded')).toMatchObject({ sha256: sha256(gz), trust: 'hash' });
      expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ path: a.device, ok: true, verified: true });
      expect(deviceHash(a.device, imageBytes.length)).toBe(sha256(imageBytes));
      // A wrong hash stops the write before the target's first MiB (written last), so nothing bootable is left.
      const b = lab.create({ sizeMiB: 32 });
      const before = deviceHash(b.device, MiB);
      const wrong = await macula(['flash', server.url('/rpi.img.gz'), '--sha256', sha256(imageBytes), '--allow-http', '--cache', cache, '--to', b.device, '--yes']);
      expect(wrong.code).toBe(3);
      expect(deviceHash(b.device, MiB)).toBe(before);
    } finally {
      await server.close();
    }
  });

  it('asks for confirmation: without --yes and without a terminal nothing is written (exit 2)', async () => {
    const a = lab.create({ sizeMiB: 32 });
    const before = deviceHash(a.device, 32 * MiB);
    const run = await macula(['flash', image, '--to', a.device]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--yes/);
    expect(deviceHash(a.device, 32 * MiB)).toBe(before);
  });

  it('refuses the whole flash when one target is too small, leaving every target untouched (exit 6)', async () => {
    const good = lab.create({ sizeMiB: 32 });
    const small = lab.create({ sizeMiB: 8 });
    const before = [deviceHash(good.device, 32 * MiB), deviceHash(small.device, 8 * MiB)];
    const run = await macula(['flash', image, '--to', good.device, '--to', small.device, '--yes', '--json']);
    expect(run.code).toBe(6);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_TARGET_TOO_SMALL' });
    expect([deviceHash(good.device, 32 * MiB), deviceHash(small.device, 8 * MiB)]).toEqual(before);
  });

  it('refuses a read-only loop with a clear message (exit 6)', async () => {
    const ro = lab.create({ sizeMiB: 32, readOnly: true });
    const run = await macula(['flash', image, '--to', ro.device, '--yes']);
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/read-only/);
  });

  it('the writer process speaks the protocol: progress, then a verified result', async () => {
    const a = lab.create({ sizeMiB: 32 });
    const phases = new Set<string>();
    const result = await runWriter({ command: writerCommand, image, targets: [a.device], verify: true, onProgress: (p) => phases.add(p.phase) });
    expect(result).toMatchObject({ kind: 'result', sha256: sha256(imageBytes), targets: [{ path: a.device, ok: true, verified: true }] });
    expect([...phases]).toEqual(expect.arrayContaining(['writing', 'verifying']));
    expect(deviceHash(a.device, imageBytes.length)).toBe(sha256(imageBytes));
  });

  it('the writer re-checks targets itself and refuses a bad request line', async () => {
    const small = lab.create({ sizeMiB: 8 });
    // As root it validates every target itself before anything is written: one refusal refuses the request.
    await expect(runWriter({ command: writerCommand, image, targets: [small.device], verify: true })).rejects.toMatchObject({ code: 'ERR_TARGET_TOO_SMALL' });

    const child = spawn(writerCommand[0], writerCommand.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.end('{"kind":"write","version":1,"image":"x","targets":[]}\n');
    const code = await new Promise<number | null>((ok) => child.on('close', ok));
    expect(code).toBe(2);
    expect(JSON.parse(out.trim())).toMatchObject({ kind: 'error', code: 'ERR_USAGE' });
  });
});
