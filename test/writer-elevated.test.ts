import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WRITER_PROTOCOL_VERSION, type WriterEvent } from '../shared/writer-protocol';
import { openImage } from '../electron/engine/source/open-image';
import { writeImage } from '../electron/engine/write/write-targets';
import { validateElevatedTargets } from '../electron/engine/writer-process/elevated-targets';
import { LoopLab } from './helpers/loop-device';

/**
 * The elevated writer attacked as a user-level process would (issue 13): `macula write --ipc` running as root with
 * PKEXEC_UID naming an unprivileged user — what pkexec leaves it with — fed requests that try to turn root's rights
 * against the machine. Each attack must be refused with nothing written and nothing of a file it may not read echoed.
 */

const MiB = 1 << 20;
const repo = resolve(import.meta.dirname, '..');
const writer = [process.execPath, '--import', 'tsx', join(repo, 'electron/cli/macula.ts'), 'write', '--ipc'];
const NOBODY = 65534;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Ran {
  readonly events: WriterEvent[];
  readonly code: number | null;
}

/** One request to the writer as pkexec runs it for `uid` (default: nobody); every event it printed. */
async function ask(request: Record<string, unknown>, uid: number = NOBODY, drives: readonly string[] = []): Promise<Ran> {
  const child = spawn(writer[0] ?? '', [...writer.slice(1), ...drives.flatMap((d) => ['--drive', d])], { cwd: repo, env: { ...process.env, PKEXEC_UID: String(uid) }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stdin.end(`${JSON.stringify({ kind: 'write', version: WRITER_PROTOCOL_VERSION, verify: true, ...request })}\n`);
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  return { code, events: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as WriterEvent) };
}

const last = (ran: Ran): WriterEvent | undefined => ran.events.at(-1);

const root = process.getuid?.() === 0;
describe.skipIf(!root)('the elevated writer trusts nothing it is told (root, loop devices, PKEXEC_UID=nobody)', () => {
  let lab: LoopLab;
  let userDir: string;
  let image: string;
  let imageBytes: Buffer;

  const deviceBytes = (device: string, length: number): Buffer =>
    execFileSync('dd', [`if=${device}`, 'bs=1M', `count=${Math.ceil(length / MiB)}`, 'iflag=direct', 'status=none'], { maxBuffer: 1 << 30 }).subarray(0, length);

  beforeAll(() => {
    lab = new LoopLab();
    // A directory and image the user may read, as a user's download would be.
    userDir = mkdtempSync(join(tmpdir(), 'macula-elevated-'));
    chmodSync(userDir, 0o755);
    image = join(userDir, 'image.img');
    imageBytes = randomBytes(12 * MiB);
    writeFileSync(image, imageBytes, { mode: 0o644 });
  });
  afterEach(() => lab?.cleanup());
  afterAll(() => {
    lab?.dispose();
    rmSync(userDir, { recursive: true, force: true });
  });

  it('refuses a root-owned regular file as a target, and leaves it as it was', async () => {
    const victim = join(userDir, 'victim');
    const original = Buffer.from('root-owned file that must survive\n');
    writeFileSync(victim, original);
    chmodSync(victim, 0o000);
    const ran = await ask({ image, targets: [victim] });
    expect(last(ran)).toMatchObject({ kind: 'error', code: 'ERR_TARGET_UNSUPPORTED', message: expect.stringMatching(/regular file.*whole-disk block devices/) });
    expect(ran.code).not.toBe(0);
    expect(readFileSync(victim)).toEqual(original);
    expect(lstatSync(victim).size).toBe(original.length);
  });

  it('refuses a partition and a character device as targets', async () => {
    const disk = lab.create({ sizeMiB: 64, partitions: 'label: dos\n,,83\n' });
    const part = disk.partitions[0] ?? '';
    expect(last(await ask({ image, targets: [part] }))).toMatchObject({ kind: 'error', code: 'ERR_TARGET_UNSUPPORTED', message: expect.stringMatching(/partition/) });
    expect(last(await ask({ image, targets: ['/dev/null'] }))).toMatchObject({ kind: 'error', code: 'ERR_TARGET_UNSUPPORTED', message: expect.stringMatching(/character device/) });
  });

  it('never reads a file the caller cannot read: a root-only image is refused and nothing is copied', async () => {
    const secret = join(userDir, 'secret');
    writeFileSync(secret, Buffer.concat([Buffer.from('root:$y$j9T$SECRETHASH:19000:0:99999:7:::\n'), Buffer.alloc(MiB)]), { mode: 0o600 });
    const target = lab.create({ sizeMiB: 32 });
    const before = deviceBytes(target.device, 2 * MiB);
    const ran = await ask({ image: secret, targets: [target.device] });
    expect(last(ran)).toMatchObject({ kind: 'error', code: 'ERR_TARGET_ACCESS_DENIED', message: expect.stringMatching(/as uid 65534/) });
    expect(deviceBytes(target.device, 2 * MiB).equals(before)).toBe(true);
    // The same file as the block map: refused before parsing, its bytes never quoted.
    const bmapRun = await ask({ image, bmap: secret, targets: [target.device] });
    expect(last(bmapRun)).toMatchObject({ kind: 'error', code: 'ERR_TARGET_ACCESS_DENIED' });
    expect(JSON.stringify(bmapRun.events)).not.toMatch(/SECRETHASH|root:/);
  });

  it('never echoes a file it cannot parse as a block map', async () => {
    const notBmap = join(userDir, 'not.bmap');
    writeFileSync(notBmap, 'root:$y$j9T$SECRETHASH:19000:0:99999:7:::\n<', { mode: 0o644 });
    const target = lab.create({ sizeMiB: 32 });
    const ran = await ask({ image, bmap: notBmap, targets: [target.device] });
    expect(last(ran)).toMatchObject({ kind: 'error', code: 'ERR_BMAP_MALFORMED' });
    // The XML parser's own message quotes the line, column and character it stopped at.
    expect(JSON.stringify(ran.events)).not.toMatch(/SECRETHASH|root:|\$y\$|Char:|Column:/);
  });

  it('writes a whole-disk loop device reached through a symlink it resolved itself, reporting the name it was given', async () => {
    const target = lab.create({ sizeMiB: 32 });
    const link = join(userDir, 'stick');
    symlinkSync(target.device, link);
    try {
      const ran = await ask({ image, targets: [link], sha256: sha256(imageBytes) });
      expect(last(ran)).toMatchObject({ kind: 'result', sha256: sha256(imageBytes), targets: [{ path: link, ok: true, verified: true }] });
      expect(ran.events.filter((e) => e.kind === 'progress').every((e) => e.kind === 'progress' && e.target === link)).toBe(true);
      expect(sha256(deviceBytes(target.device, imageBytes.length))).toBe(sha256(imageBytes));
    } finally {
      rmSync(link, { force: true });
    }
  });

  it('writes only the drives named on its command line (what the authorization prompt showed)', async () => {
    const approved = lab.create({ sizeMiB: 32 });
    const other = lab.create({ sizeMiB: 32 });
    const before = deviceBytes(other.device, 2 * MiB);
    const ran = await ask({ image, targets: [other.device] }, NOBODY, [approved.device]);
    expect(last(ran)).toMatchObject({ kind: 'error', code: 'ERR_USAGE', message: expect.stringMatching(/other than the ones approved/) });
    expect(deviceBytes(other.device, 2 * MiB).equals(before)).toBe(true);
  });

  it('refuses two names for one drive', async () => {
    const target = lab.create({ sizeMiB: 32 });
    const link = join(userDir, 'twice');
    symlinkSync(target.device, link);
    try {
      expect(last(await ask({ image, targets: [target.device, link] }))).toMatchObject({ kind: 'error', code: 'ERR_USAGE', message: expect.stringMatching(/same drive/) });
    } finally {
      rmSync(link, { force: true });
    }
  });

  it('stops before chunk 0 when the image does not hash to the verified SHA-256 (a tampered cached file)', async () => {
    const target = lab.create({ sizeMiB: 32 });
    const tampered = Buffer.from(imageBytes);
    tampered[9 * MiB] = (tampered[9 * MiB] ?? 0) ^ 0xff;
    const file = join(userDir, 'cached.img');
    writeFileSync(file, tampered, { mode: 0o644 });
    const ran = await ask({ image: file, targets: [target.device], sha256: sha256(imageBytes) });
    expect(last(ran)).toMatchObject({ kind: 'error', code: 'ERR_HASH_MISMATCH', message: expect.stringContaining(file) });
    // The rest may have gone out; the first MiB (what makes it bootable) never did.
    expect(deviceBytes(target.device, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  });

  it('stops before chunk 0 for a compressed image whose file does not hash to the verified SHA-256', async () => {
    const target = lab.create({ sizeMiB: 32 });
    const xz = join(userDir, 'image.img.xz');
    writeFileSync(xz, execFileSync('xz', ['-0', '-T2', '--block-size=4MiB', '-c', image], { maxBuffer: 1 << 30 }), { mode: 0o644 });
    const ran = await ask({ image: xz, targets: [target.device], sha256: sha256(Buffer.from('not this file')) });
    expect(last(ran)).toMatchObject({ kind: 'error', code: 'ERR_HASH_MISMATCH' });
    expect(deviceBytes(target.device, MiB).equals(Buffer.alloc(MiB))).toBe(true);
    // The right hash of the compressed file lets the same flash through.
    const good = await ask({ image: xz, targets: [target.device], sha256: sha256(readFileSync(xz)) });
    expect(last(good)).toMatchObject({ kind: 'result', targets: [{ ok: true, verified: true }] });
    expect(sha256(deviceBytes(target.device, imageBytes.length))).toBe(sha256(imageBytes));
  });

  it('writes only the device it validated: a device node swapped between check and open is refused', async () => {
    const checked = lab.create({ sizeMiB: 32 });
    const other = lab.create({ sizeMiB: 32 });
    const numbers = (dev: string): [string, string] => {
      const [major = '', minor = ''] = execFileSync('stat', ['-L', '-c', '%Hr %Lr', dev], { encoding: 'utf8' }).trim().split(' ');
      return [major, minor];
    };
    const node = join(userDir, 'node');
    execFileSync('mknod', [node, 'b', ...numbers(checked.device)]);
    try {
      const [target] = await validateElevatedTargets([node], image, imageBytes.length);
      // The attacker's move: the same path now names the other drive.
      rmSync(node);
      execFileSync('mknod', [node, 'b', ...numbers(other.device)]);
      const before = deviceBytes(other.device, 2 * MiB);
      const result = await writeImage({ source: await openImage(image), targets: [node], pinnedDevices: new Map([[node, target?.rdev ?? 0n]]) });
      expect(result.targets[0]).toMatchObject({ ok: false, error: { code: 'ERR_TARGET_CHANGED' } });
      expect(deviceBytes(other.device, 2 * MiB).equals(before)).toBe(true);
    } finally {
      rmSync(node, { force: true });
    }
  });
});
