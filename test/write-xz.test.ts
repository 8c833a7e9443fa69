import { createHash, randomFillSync } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../electron/engine/source/open-image';
import { type XzBlock, readXzIndex } from '../electron/engine/source/xz/xz-index';
import { writeImage } from '../electron/engine/write/write-targets';
import type { WriteProgress } from '../electron/engine/write/write-types';
import { corruptByte } from './helpers/corrupt';
import { Loops, sh } from './helpers/loops';

/**
 * A multi-Block .xz is written out of order (place-image.ts): each Block decodes straight to its place and every chunk
 * goes out as soon as all its bytes are in. The Blocks here end off every chunk and sector boundary, so chunks are
 * filled by two lanes, and chunk 0 holds the end of Block 1 and the start of Block 2.
 */
const MiB = 1 << 20;
/** 50 MiB and 1000 bytes: the last chunk is short and not a whole sector. */
const SIZE = 50 * MiB + 1000;
/** Block sizes (the last repeats to the end): every Block end is off the 4 MiB chunks and the 512-byte sectors. */
const BLOCKS = '1000000,3333333,7777777,5000001,2222222,9999999';

const dir = await mkdtemp(join(tmpdir(), 'macula-write-xz-'));
const plain = join(dir, 'image.img');
const packed = join(dir, 'image.img.xz');
let imageSha: string;
const loops = new Loops();

async function head(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, 0);
    return buffer;
  } finally {
    await handle.close();
  }
}

async function blocksOf(path: string): Promise<readonly XzBlock[]> {
  const index = await readXzIndex(path);
  if (!index) throw new Error(`${path} has no readable xz index`);
  return index.blocks;
}

async function identical(target: string): Promise<boolean> {
  return sh('cmp', ['-n', String(SIZE), plain, target]).then(
    () => true,
    () => false,
  );
}

/** A loop device filled with a recognisable pattern, so "left as it was" means something. */
/**
 * A loop device full of old content. The tests that look at what a failed write leaves pass `skipZeros: false`: a
 * loop device takes discards, and the discard (zero-skip.test.ts) would wipe the image's range before the first write.
 */
async function patterned(name: string, size = 64 * MiB): Promise<string> {
  const device = await loops.create(join(dir, name), size);
  await sh('sh', ['-c', `yes macula-old-content | head -c ${size} > "$1"`, 'sh', device]);
  return device;
}

beforeAll(async () => {
  // Random data everywhere, so a chunk written to the wrong place or not at all cannot go unnoticed.
  await writeFile(plain, randomFillSync(Buffer.alloc(SIZE)));
  await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q "$1"`, 'sh', plain]);
  imageSha = createHash('sha256').update(await readFile(plain)).digest('hex');
  await sh('sh', ['-c', `xz -T1 -0 --block-list=${BLOCKS} -c "$1" > "$2"`, 'sh', plain, packed]);
}, 60_000);
afterEach(async () => {
  await loops.cleanup();
});
afterAll(async () => {
  await loops.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('a multi-Block .xz written out of order to real loop devices', () => {
  it('is the image the placed path takes (a single-Block .xz is not)', async () => {
    const blocks = (await blocksOf(packed)).map((b) => b.uncompressedSize);
    expect(blocks.slice(0, 6)).toEqual(BLOCKS.split(',').map(Number));
    expect((await openImage(packed)).openPlaced).toBeTypeOf('function');
    const single = join(dir, 'single.img.xz');
    await sh('sh', ['-c', `xz -T1 -0 -c "$1" > "$2"`, 'sh', plain, single]);
    expect((await openImage(single)).openPlaced).toBeUndefined();
  });

  it('writes two loops and a file byte-identical, chunk 0 last, and takes the SHA-256 from the read-back', async () => {
    const a = await patterned('a.bin');
    const b = await patterned('b.bin');
    const file = join(dir, 'target.img');
    const events: WriteProgress[] = [];
    const writes = new Map<string, number[]>();
    const onWrite = (target: string, offset: number): void => void writes.set(target, [...(writes.get(target) ?? []), offset]);
    // The caller's signal, as an app passes one per flash or one for many: nothing the flash hung on it stays.
    const signal = new AbortController().signal;
    const result = await writeImage({ source: await openImage(packed), targets: [a, b, file], skipZeros: false, signal, onProgress: (p) => events.push(p), hooks: { onWrite } });
    expect(getEventListeners(signal, 'abort')).toEqual([]);
    expect(result.targets).toEqual([a, b, file].map((path) => ({ path, ok: true, verified: true, notes: [] })));
    expect(result).toMatchObject({ sha256: imageSha, size: SIZE });
    for (const target of [a, b, file]) {
      expect(await identical(target)).toBe(true);
      const offsets = writes.get(target) ?? [];
      // Every chunk once, whole (two lanes' halves together), and chunk 0 after all the others.
      expect([...offsets].sort((x, y) => x - y)).toEqual(Array.from({ length: Math.ceil(SIZE / (4 * MiB)) }, (_, i) => i * 4 * MiB));
      expect(offsets.at(-1)).toBe(0);
      expect(events.filter((e) => e.target === target && e.phase === 'done')).toEqual([expect.objectContaining({ bytes: SIZE, total: SIZE })]);
    }
    expect((await stat(file)).size).toBe(SIZE);
  });

  it('stops at a corrupt Block with ERR_ARCHIVE_CORRUPT naming it, and never writes chunk 0', async () => {
    const block = (await blocksOf(packed))[3]!;
    const bad = join(dir, 'bad.img.xz');
    await writeFile(bad, await readFile(packed));
    await corruptByte(bad, block.offset + Math.floor(block.unpaddedSize / 2));
    const target = await patterned('corrupt.bin');
    const before = await head(target, 4 * MiB);
    await expect(writeImage({ source: await openImage(bad), targets: [target], skipZeros: false })).rejects.toMatchObject({
      code: 'ERR_ARCHIVE_CORRUPT',
      message: expect.stringContaining('block 4'),
    });
    expect((await head(target, 4 * MiB)).equals(before)).toBe(true);
  });

  it.each([
    ['in chunk 0', 1 * MiB + 5],
    ['where two Blocks share a chunk', 12 * MiB + 111_111],
    ['in the short last chunk', SIZE - 3],
  ])('catches a byte changed on the device %s: ERR_VERIFY_MISMATCH at that offset; the other target verifies', async (_where, offset) => {
    const bad = await patterned('bad.bin');
    const good = await patterned('good.bin');
    const result = await writeImage({
      source: await openImage(packed),
      targets: [bad, good],
      hooks: { afterWrite: (target) => (target === bad ? corruptByte(bad, offset) : undefined) },
    });
    expect(result.targets[0]).toMatchObject({
      ok: false,
      error: { code: 'ERR_VERIFY_MISMATCH', offset, expected: expect.stringMatching(/^[0-9a-f]{64}$/), actual: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(result.targets[1]).toMatchObject({ ok: true, verified: true });
    expect(result.sha256).toBe(imageSha);
  });

  it('stops on abort with ERR_ABORTED, chunk 0 unwritten', async () => {
    const target = await patterned('abort.bin');
    const before = await head(target, 4 * MiB);
    const controller = new AbortController();
    const writing = writeImage({ source: await openImage(packed), targets: [target], skipZeros: false, signal: controller.signal, hooks: { onWrite: () => controller.abort() } });
    await expect(writing).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect((await head(target, 4 * MiB)).equals(before)).toBe(true);
  });

  it('drops a target too small for the image (ERR_NO_SPACE); the other one is written and verified', async () => {
    const tiny = await loops.create(join(dir, 'tiny.bin'), 22 * MiB);
    const good = await patterned('good.bin');
    const result = await writeImage({ source: await openImage(packed), targets: [tiny, good] });
    // Written out of order, the write that fails first may lie past the device's end (22 MiB), never before it.
    expect(result.targets[0]).toMatchObject({ ok: false, error: { code: 'ERR_NO_SPACE', offset: expect.any(Number) } });
    const failed = result.targets[0];
    expect(failed?.ok === false ? failed.error.offset : 0).toBeGreaterThanOrEqual(22 * MiB);
    expect(result.targets[1]).toMatchObject({ ok: true, verified: true });
    expect(await identical(good)).toBe(true);
  });

  it('without verification reads nothing back and so reports no SHA-256 (nothing read the image in order)', async () => {
    const target = await patterned('nv.bin');
    const events: WriteProgress[] = [];
    const result = await writeImage({ source: await openImage(packed), targets: [target], verify: false, onProgress: (p) => events.push(p) });
    expect(result).toMatchObject({ sha256: undefined, size: SIZE, targets: [{ ok: true, verified: false }] });
    expect(events.map((e) => e.phase)).not.toContain('verifying');
    expect(await identical(target)).toBe(true);
  });
});
