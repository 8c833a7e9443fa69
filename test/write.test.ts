import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { copyFile, open, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../electron/engine/source/open-image';
import { writeImage } from '../electron/engine/write/write-targets';
import type { WriteProgress } from '../electron/engine/write/write-types';
import { corruptByte } from './helpers/corrupt';
import { Loops, sh } from './helpers/loops';

const MiB = 1 << 20;
/** 50 MiB and 1000 bytes: the last chunk is short and not a whole sector, so padding and truncation both matter. */
const MBR_SIZE = 50 * MiB + 1000;
const GPT_SIZE = 40 * MiB;
/**
 * The note of a loop target about zero blocks (none in these random images, but the discard is made and measured;
 * zero-skip.test.ts checks what follows from it). Any outcome will do here: these tests are about other things.
 */
const ZEROS_SKIPPED = expect.stringMatching(/^discard|zero blocks are written$/);

/** The partition lines of `sfdisk -d`, without the device names (the image file vs /dev/loopN). */
async function partitionsOf(path: string): Promise<string[]> {
  const dump = await sh('sfdisk', ['-d', path]);
  return dump
    .split('\n')
    .filter((l) => l.includes('start='))
    .map((l) => l.slice(l.indexOf(':')));
}

async function identical(image: string, target: string, size: number): Promise<boolean> {
  return sh('cmp', ['-n', String(size), image, target]).then(
    () => true,
    () => false,
  );
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}


describe('writeImage to real loop devices', () => {
  let dir: string;
  let mbr: string;
  let mbrSha: string;
  let gptGz: string;
  let gpt: string;
  const loops = new Loops();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-write-'));
    mbr = join(dir, 'mbr.img');
    // Random data everywhere, so a chunk written to the wrong place or not at all cannot go unnoticed.
    await writeFile(mbr, randomFillSync(Buffer.alloc(MBR_SIZE)));
    await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, size=32768, type=c\\nstart=34816, type=83\\n' | sfdisk -q ${mbr}`]);
    mbrSha = sha256(await readFile(mbr));
    gpt = join(dir, 'gpt.img');
    await writeFile(gpt, randomFillSync(Buffer.alloc(GPT_SIZE)));
    await sh('sgdisk', ['-o', '-n', '1:2048:+16M', '-t', '1:ef00', '-c', '1:EFI', '-n', '2:0:0', '-t', '2:8300', '-c', '2:ROOT', gpt]);
    await sh('gzip', ['-k', '-1', gpt]);
    gptGz = `${gpt}.gz`;
  });
  afterEach(async () => {
    await loops.cleanup();
  });
  afterAll(async () => {
    await loops.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes three targets at once (two loops, one file), each byte-identical and verified', async () => {
    const a = await loops.create(join(dir, 'a.bin'), 64 * MiB);
    const b = await loops.create(join(dir, 'b.bin'), 64 * MiB, { directIo: true });
    const file = join(dir, 'target.img');
    const events: WriteProgress[] = [];
    const result = await writeImage({ source: await openImage(mbr), targets: [a, b, file], onProgress: (p) => events.push(p) });
    expect(result.sha256).toBe(mbrSha);
    expect(result.size).toBe(MBR_SIZE);
    // A loop device is discarded and measured to read back zeros (zero-skip.test.ts); a regular file is not.
    expect(result.targets).toEqual([
      { path: a, ok: true, verified: true, notes: [ZEROS_SKIPPED] },
      { path: b, ok: true, verified: true, notes: [ZEROS_SKIPPED] },
      { path: file, ok: true, verified: true, notes: [] },
    ]);
    for (const target of [a, b, file]) {
      expect(await identical(mbr, target, MBR_SIZE)).toBe(true);
      expect(await partitionsOf(target)).toEqual(await partitionsOf(mbr));
      const phases = events.filter((e) => e.target === target).map((e) => e.phase);
      expect([...new Set(phases)]).toEqual(['writing', 'verifying', 'done']);
      expect(events.filter((e) => e.target === target && e.phase === 'done')).toEqual([expect.objectContaining({ bytes: MBR_SIZE, total: MBR_SIZE })]);
    }
    expect((await stat(file)).size).toBe(MBR_SIZE);
  });

  it('streams a gzip GPT image to a loop of its exact size; sgdisk -v finds no problems', async () => {
    const loop = await loops.create(join(dir, 'gpt-target.bin'), GPT_SIZE);
    const result = await writeImage({ source: await openImage(gptGz), targets: [loop] });
    expect(result.targets[0]).toMatchObject({ ok: true, verified: true });
    expect(result.sha256).toBe(sha256(await readFile(gpt)));
    expect(await identical(gpt, loop, GPT_SIZE)).toBe(true);
    expect(await sh('sgdisk', ['-v', loop])).toContain('No problems found');
  });

  it.each([
    ['a multi-block .xz', 'mbr.img.xz', (src: string, out: string) => ['sh', ['-c', `xz -T2 --block-size=4MiB -1 -c "$1" > "$2"`, 'sh', src, out]] as const],
    ['a .zst', 'mbr.img.zst', (src: string, out: string) => ['zstd', ['-q', '-1', src, '-o', out]] as const],
  ])('decodes %s straight into the write buffers of two loops, byte-identical and verified', async (_what, name, compress) => {
    const packed = join(dir, name);
    const [cmd, args] = compress(mbr, packed);
    await sh(cmd, args);
    const a = await loops.create(join(dir, `${name}-a.bin`), 64 * MiB);
    const b = await loops.create(join(dir, `${name}-b.bin`), 64 * MiB);
    const result = await writeImage({ source: await openImage(packed), targets: [a, b] });
    expect(result).toMatchObject({ sha256: mbrSha, size: MBR_SIZE });
    expect(result.targets.map((t) => t.ok && t.verified)).toEqual([true, true]);
    expect(await identical(mbr, a, MBR_SIZE)).toBe(true);
    expect(await identical(mbr, b, MBR_SIZE)).toBe(true);
  });

  it('drops a target that runs out of room (full tmpfs) with ERR_NO_SPACE at its offset; the other two finish', async () => {
    const small = join(dir, 'small');
    await loops.mount(['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs'], small);
    const a = await loops.create(join(dir, 'a.bin'), 64 * MiB);
    const b = await loops.create(join(dir, 'b.bin'), 64 * MiB);
    const full = join(small, 'target.img');
    const result = await writeImage({ source: await openImage(mbr), targets: [a, full, b] });
    expect(result.targets[0]).toMatchObject({ ok: true, verified: true });
    expect(result.targets[2]).toMatchObject({ ok: true, verified: true });
    const failed = result.targets[1];
    expect(failed).toMatchObject({ path: full, ok: false, error: { code: 'ERR_NO_SPACE' } });
    const offset = failed?.ok === false ? failed.error.offset : undefined;
    // 16 MiB of tmpfs; chunk 0 (0–4 MiB) is held back, so the first bytes that do not fit lie between 16 and 20 MiB.
    expect(offset).toBeGreaterThanOrEqual(16 * MiB - 64 * 1024);
    expect(offset).toBeLessThanOrEqual(20 * MiB);
    expect(failed?.ok === false && failed.error.message).toContain(`offset ${offset}`);
    expect(await identical(mbr, a, MBR_SIZE)).toBe(true);
    expect(await identical(mbr, b, MBR_SIZE)).toBe(true);
  });

  it('names the exact end of a device smaller than the image (22 MiB) despite writes in flight beyond it', async () => {
    const tiny = await loops.create(join(dir, 'tiny.bin'), 22 * MiB);
    const good = await loops.create(join(dir, 'good.bin'), 64 * MiB);
    const result = await writeImage({ source: await openImage(mbr), targets: [tiny, good] });
    expect(result.targets[0]).toMatchObject({ ok: false, error: { code: 'ERR_NO_SPACE', offset: 22 * MiB } });
    expect(result.targets[1]).toMatchObject({ ok: true, verified: true });
  });

  it('refuses a read-only loop with a clear message; the other target succeeds', async () => {
    const ro = await loops.create(join(dir, 'ro.bin'), 64 * MiB, { readOnly: true });
    const good = await loops.create(join(dir, 'good.bin'), 64 * MiB);
    const result = await writeImage({ source: await openImage(mbr), targets: [ro, good] });
    expect(result.targets[0]).toMatchObject({ ok: false, error: { code: 'ERR_TARGET_READ_ONLY', message: expect.stringMatching(/read-only/) } });
    expect(result.targets[1]).toMatchObject({ ok: true, verified: true });
    expect(await readFile(join(dir, 'ro.bin')).then((b) => b.every((x) => x === 0))).toBe(true);
  });

  it('unmounts a mounted disk and a mounted partition first, then writes them; the mounts are gone', async () => {
    const whole = await loops.create(join(dir, 'whole.bin'), 64 * MiB);
    await sh('mkfs.ext4', ['-q', '-F', whole]);
    await loops.mount([whole], join(dir, 'mnt-whole'));
    const parted = await loops.create(join(dir, 'parted.bin'), 64 * MiB);
    await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q ${parted}`]);
    await sh('partx', ['-a', parted]);
    await sh('mkfs.ext4', ['-q', '-F', `${parted}p1`]);
    await loops.mount([`${parted}p1`], join(dir, 'mnt-part'));
    const result = await writeImage({ source: await openImage(mbr), targets: [whole, parted] });
    expect(result.targets).toEqual([
      { path: whole, ok: true, verified: true, notes: [`unmounted ${join(dir, 'mnt-whole')}`, ZEROS_SKIPPED] },
      { path: parted, ok: true, verified: true, notes: [`unmounted ${join(dir, 'mnt-part')}`, ZEROS_SKIPPED] },
    ]);
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mountinfo).not.toContain(join(dir, 'mnt-'));
    expect(await identical(mbr, whole, MBR_SIZE)).toBe(true);
    expect(await identical(mbr, parted, MBR_SIZE)).toBe(true);
  });

  it('catches a byte changed on the device after writing: ERR_VERIFY_MISMATCH at that offset, with both hashes', async () => {
    const bad = await loops.create(join(dir, 'bad.bin'), 64 * MiB);
    const good = await loops.create(join(dir, 'good.bin'), 64 * MiB);
    const offset = 5 * MiB + 123;
    const result = await writeImage({
      source: await openImage(mbr),
      targets: [bad, good],
      hooks: { afterWrite: (target) => (target === bad ? corruptByte(bad, offset) : undefined) },
    });
    expect(result.targets[0]).toMatchObject({
      ok: false,
      error: { code: 'ERR_VERIFY_MISMATCH', offset, expected: expect.stringMatching(/^[0-9a-f]{64}$/), actual: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(result.targets[1]).toMatchObject({ ok: true, verified: true });
  });

  it('reads back past the page cache: a stale cached copy of the device does not hide a corrupt medium', async () => {
    const backing = join(dir, 'stale.bin');
    const loop = await loops.create(backing, 64 * MiB);
    const offset = 9 * MiB + 7;
    // Held open until the end: the kernel drops a block device's page cache when its last opener closes it.
    const holder = await open(loop, 'r');
    try {
      const afterWrite = async (): Promise<void> => {
        // Fill the device's page cache with the good bytes, then change the medium (the backing file) underneath it.
        await holder.read(Buffer.alloc(16 * MiB), 0, 16 * MiB, 0);
        const handle = await open(backing, 'r+');
        await handle.write(Buffer.from([0x5a ^ (await readFile(mbr)).readUInt8(offset)]), 0, 1, offset);
        await handle.close();
      };
      const result = await writeImage({ source: await openImage(mbr), targets: [loop], hooks: { afterWrite } });
      expect(result.targets[0]).toMatchObject({ ok: false, error: { code: 'ERR_VERIFY_MISMATCH', offset } });
      // The cache really is stale: a buffered read still sees the good byte.
      const cached = Buffer.alloc(1);
      await holder.read(cached, 0, 1, offset);
      expect(cached[0]).toBe((await readFile(mbr)).readUInt8(offset));
    } finally {
      await holder.close();
    }
  });

  it('writes the first chunk (and so the first MiB) last', async () => {
    const file = join(dir, 'order.img');
    const offsets: number[] = [];
    const result = await writeImage({ source: await openImage(mbr), targets: [file], hooks: { onWrite: (_t, offset) => offsets.push(offset) } });
    expect(result.targets[0]).toMatchObject({ ok: true });
    expect(offsets).toHaveLength(Math.ceil(MBR_SIZE / (4 * MiB)));
    expect(offsets.at(-1)).toBe(0);
    expect(offsets.filter((o) => o < MiB)).toEqual([0]);
  });

  it('reads chunk 0 again to write it last, and refuses an image whose first bytes changed meanwhile: chunk 0 is never written', async () => {
    const image = join(dir, 'changing.img');
    await copyFile(mbr, image);
    const file = join(dir, 'changing-target.img');
    const offsets: number[] = [];
    const changeImage = (): void => {
      const fd = openSync(image, 'r+');
      writeSync(fd, Buffer.from([0x42]), 0, 1, 1000);
      closeSync(fd);
    };
    const flash = writeImage({
      source: await openImage(image),
      targets: [file],
      hooks: {
        onWrite: (_t, offset) => {
          // Chunk 0 was read long before chunk 3 is written: the change lands between its two reads.
          if (offset === 12 * MiB) changeImage();
          offsets.push(offset);
        },
      },
    });
    await expect(flash).rejects.toMatchObject({ code: 'ERR_IO', message: expect.stringContaining('read differently the second time: the image changed while it was written') });
    expect(offsets).toContain(12 * MiB);
    expect(offsets.filter((o) => o < 4 * MiB)).toEqual([]);
  });

  it('skips the read-back when verify is false: no verifying phase, and a corruption goes unnoticed', async () => {
    const loop = await loops.create(join(dir, 'nv.bin'), 64 * MiB);
    const events: WriteProgress[] = [];
    const result = await writeImage({
      source: await openImage(mbr),
      targets: [loop],
      verify: false,
      onProgress: (p) => events.push(p),
      hooks: { afterWrite: () => corruptByte(loop, 3 * MiB) },
    });
    expect(result.targets[0]).toEqual({ path: loop, ok: true, verified: false, notes: [] });
    expect(events.map((e) => e.phase)).not.toContain('verifying');
    expect(events.at(-1)?.phase).toBe('done');
  });

  it('awaits preflight for every target before writing; a refused target is skipped, the others are written', async () => {
    const refused = await loops.create(join(dir, 'refused.bin'), 64 * MiB);
    const good = await loops.create(join(dir, 'good.bin'), 64 * MiB);
    const log: string[] = [];
    const preflight = async (target: string, size: number | undefined): Promise<void> => {
      await new Promise((r) => setTimeout(r, 50));
      log.push(`preflight ${target} ${size}`);
      if (target === refused) throw Object.assign(new Error('too small'), { code: 'ENOTSUP' });
    };
    const result = await writeImage({
      source: await openImage(mbr),
      targets: [refused, good],
      preflight,
      hooks: { onWrite: (t) => log.push(`write ${t}`) },
    });
    expect(log.slice(0, 2).sort()).toEqual([`preflight ${good} ${MBR_SIZE}`, `preflight ${refused} ${MBR_SIZE}`].sort());
    expect(log.filter((l) => l.startsWith('write')).every((l) => l === `write ${good}`)).toBe(true);
    expect(result.targets[0]).toMatchObject({ ok: false, error: { message: expect.stringContaining('too small') } });
    expect(result.targets[1]).toMatchObject({ ok: true, verified: true });
    expect(await readFile(join(dir, 'refused.bin')).then((b) => b.every((x) => x === 0))).toBe(true);
  });
});
