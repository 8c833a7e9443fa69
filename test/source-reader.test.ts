import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageReader } from '../electron/engine/source/image-reader';
import { openImage } from '../electron/engine/source/open-image';
import { readXzIndex } from '../electron/engine/source/xz/xz-index';
import { XzParallelDecoder } from '../electron/engine/source/xz/xz-parallel-decoder';

/** ImageSource.openReader: decoded bytes read into one buffer the caller reuses, as a writer's aligned chunks are. */
const MiB = 1 << 20;
let dir: string;
let image: Buffer;

const at = (name: string): string => join(dir, name);
const sh = (script: string): void => void execFileSync('sh', ['-c', script], { cwd: dir, stdio: 'pipe' });
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'macula-source-reader-'));
  // Random, zeros and text: Blocks and frames that decode at very different rates.
  const text = Buffer.from('MaculaOS reader test line 0123456789\n');
  const repeated = Buffer.alloc(6 * MiB);
  for (let i = 0; i < repeated.length; i += text.length) text.copy(repeated, i);
  image = Buffer.concat([randomBytes(5 * MiB + 4321), Buffer.alloc(7 * MiB), repeated, randomBytes(777)]);
  writeFileSync(at('disk.img'), image);
  sh('xz -T2 --block-size=3MiB -1 -c disk.img > multi.img.xz');
  sh('xz -T1 -1 -c disk.img > single.img.xz');
  sh('zstd -q -c disk.img > disk.img.zst');
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Reads everything through one reused buffer of `size` bytes; every read but the last must fill it. */
async function readAll(reader: ImageReader, size: number): Promise<{ sha256: string; length: number }> {
  const buffer = Buffer.alloc(size);
  const hash = createHash('sha256');
  let length = 0;
  try {
    for (;;) {
      const n = await reader.read(buffer);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      length += n;
      if (n < size) expect(await reader.read(buffer)).toBe(0); // a short read is the last
    }
  } finally {
    await reader.close();
  }
  return { sha256: hash.digest('hex'), length };
}

describe('ImageSource.openReader', () => {
  it.each([
    ['multi-block xz', 'multi.img.xz', 4 * MiB],
    ['multi-block xz, odd buffer', 'multi.img.xz', 100_003],
    ['single-block xz', 'single.img.xz', 4 * MiB],
    ['zstd', 'disk.img.zst', 4 * MiB],
    ['zstd, odd buffer', 'disk.img.zst', 100_003],
  ])('%s reads the original bytes into a reused buffer', async (_label, name, size) => {
    const source = await openImage(at(name), { xzThreads: 2 });
    const reader = source.openReader?.();
    expect(reader).toBeDefined();
    if (!reader) return;
    expect(await readAll(reader, size)).toEqual({ sha256: sha256(image), length: image.length });
  });

  it('multi-block xz decodes on the libuv threadpool where no worker thread can start', async () => {
    const blocks = (await readXzIndex(at('multi.img.xz')))?.blocks ?? [];
    const decoder = new XzParallelDecoder({ path: at('multi.img.xz'), blocks, lanes: 2, launch: undefined });
    expect(await readAll(decoder, 4 * MiB)).toEqual({ sha256: sha256(image), length: image.length });
    expect(decoder).toMatchObject({ blocksRead: blocks.length, peakDecoding: 2 });
  });

  it.each([
    ['xz', 'multi.img.xz', /block \d+/],
    ['zstd', 'disk.img.zst', /corrupt/i],
  ])('corrupt %s fails with ERR_ARCHIVE_CORRUPT', async (_format, name, detail) => {
    const bytes = readFileSync(at(name));
    for (let i = bytes.length >> 1; i < (bytes.length >> 1) + 16; i++) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
    writeFileSync(at(`corrupt-${name}`), bytes);
    const reader = (await openImage(at(`corrupt-${name}`), { xzThreads: 2 })).openReader?.();
    const err: unknown = await readAll(reader!, 4 * MiB).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_ARCHIVE_CORRUPT', message: expect.stringMatching(detail) });
  });

  it.each([
    ['xz', 'multi.img.xz'],
    ['zstd', 'disk.img.zst'],
  ])('an aborted %s read fails with ERR_ABORTED', async (_format, name) => {
    const controller = new AbortController();
    const reader = (await openImage(at(name), { xzThreads: 2 })).openReader?.(controller.signal);
    const buffer = Buffer.alloc(MiB);
    expect(await reader!.read(buffer)).toBe(MiB);
    controller.abort();
    await expect(reader!.read(buffer)).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await reader!.close();
  });
});
