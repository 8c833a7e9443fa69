import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaculaError, type MaculaErrorCode } from '../shared/errors';
import { sniffCompression, sniffLayout } from '../shared/image-format';
import type { ByteProgress } from '../shared/progress';
import { detectImageFormat } from '../electron/engine/source/detect';
import { extractImage, hashImage } from '../electron/engine/source/extract';
import type { ImageSource } from '../electron/engine/source/image-source';
import { openImage, type OpenImageOptions } from '../electron/engine/source/open-image';
import { chooseImageEntry, isUnsafeEntryName } from '../electron/engine/source/zip-entry-policy';
import { readXzIndex } from '../electron/engine/source/xz/xz-index';
import { ReaderStream } from '../electron/engine/source/image-reader';
import { XzParallelDecoder } from '../electron/engine/source/xz/xz-parallel-decoder';

const MiB = 1 << 20;
let dir: string;
let imagePath: string;
let imageSha: string;
let imageSize: number;

const sh = (script: string): void => void execFileSync('sh', ['-c', script], { cwd: dir, stdio: 'pipe' });
const at = (name: string): string => join(dir, name);
const sha256 = (buf: Uint8Array): string => createHash('sha256').update(buf).digest('hex');

/** 32 MiB of mixed data (random, zeros, repeated text) that starts like an MBR disk. */
function makeImage(): Buffer {
  const text = Buffer.from('MaculaOS edge node image: the quick brown fox jumps over the lazy dog 0123456789\n');
  const parts = [randomBytes(8 * MiB), Buffer.alloc(8 * MiB), Buffer.alloc(8 * MiB), randomBytes(4 * MiB), Buffer.alloc(4 * MiB)];
  const repeated = parts[2] as Buffer;
  for (let i = 0; i < repeated.length; i += text.length) text.copy(repeated, i);
  const image = Buffer.concat(parts);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

/** A copy of `name` with 16 bytes flipped in the middle. */
function corruptCopy(name: string): string {
  const bytes = readFileSync(at(name));
  const mid = bytes.length >> 1;
  for (let i = mid; i < mid + 16; i++) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
  const out = at(`corrupt-${name}`);
  writeFileSync(out, bytes);
  return out;
}

/** A copy of `name` cut in half. */
function truncatedCopy(name: string): string {
  const bytes = readFileSync(at(name));
  const out = at(`half-${name}`);
  writeFileSync(out, bytes.subarray(0, bytes.length >> 1));
  return out;
}

/** Wraps a source so the test can look at the stream extractImage reads. */
function spy(source: ImageSource): { source: ImageSource; streams: Readable[] } {
  const streams: Readable[] = [];
  return {
    streams,
    source: {
      ...source,
      createReadStream(signal) {
        const stream = source.createReadStream(signal);
        streams.push(stream);
        return stream;
      },
    },
  };
}

/** The parallel xz decoder behind a stream an xz source made. */
function xzDecoderOf(stream: Readable | undefined): XzParallelDecoder {
  const reader = stream instanceof ReaderStream ? stream.reader : undefined;
  if (!(reader instanceof XzParallelDecoder)) throw new Error('not a stream of the parallel xz decoder');
  return reader;
}

let destCounter = 0;
const freshDest = (): string => at(`out-${destCounter++}.img`);

/** Opens and extracts `path`, expecting failure with `code`; checks the message and that no output is left. */
async function expectExtractFailure(
  path: string,
  code: MaculaErrorCode,
  format: string,
  options: OpenImageOptions = {},
  detail?: RegExp,
): Promise<void> {
  const dest = freshDest();
  const err = await openImage(path, options)
    .then((source) => extractImage(source, dest))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(isMaculaError(err), String(err)).toBe(true);
  if (!isMaculaError(err)) return;
  expect(err.code, err.message).toBe(code);
  expect(err.message).toContain(format);
  expect(err.message).toContain(path);
  if (detail) expect(err.message).toMatch(detail);
  expect(existsSync(dest)).toBe(false);
  expect(existsSync(`${dest}.part`)).toBe(false);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'macula-sources-'));
  const image = makeImage();
  imagePath = at('disk.img');
  imageSize = image.length;
  imageSha = sha256(image);
  writeFileSync(imagePath, image);
  sh('xz -T2 --block-size=4MiB -3 -c disk.img > multi.img.xz');
  sh('xz -T1 -3 -c disk.img > single.img.xz');
  sh('zstd -q -c disk.img > disk.img.zst');
  sh('gzip -c disk.img > disk.img.gz');
  sh('bzip2 -c disk.img > disk.img.bz2');
  sh('zip -q disk.zip disk.img');
  // Two Streams with Stream Padding between them and after (xz file format 1.0.4 §2.2).
  sh('head -c 10485760 disk.img > a.part.img && tail -c +10485761 disk.img > b.part.img');
  sh('xz -T2 --block-size=2MiB -3 -c a.part.img > a.xz && xz -T2 --block-size=3MiB -3 -c b.part.img > b.xz');
  sh('{ cat a.xz; head -c 8 /dev/zero; cat b.xz; head -c 4 /dev/zero; } > concat.img.xz');
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('format detection', () => {
  it('decides by magic bytes and sees the MBR of a raw image', async () => {
    expect(await detectImageFormat(imagePath)).toEqual({ compression: 'none', layout: 'mbr' });
    expect((await detectImageFormat(at('multi.img.xz'))).compression).toBe('xz');
    expect((await detectImageFormat(at('disk.img.zst'))).compression).toBe('zstd');
    expect((await detectImageFormat(at('disk.img.gz'))).compression).toBe('gzip');
    expect((await detectImageFormat(at('disk.img.bz2'))).compression).toBe('bzip2');
    expect((await detectImageFormat(at('disk.zip'))).compression).toBe('zip');
  });

  it('recognises ISO 9660 and GPT ahead of the MBR they also carry', () => {
    const head = new Uint8Array(0x9000);
    head[510] = 0x55;
    head[511] = 0xaa;
    expect(sniffLayout(head)).toBe('mbr');
    head.set(Array.from('EFI PART', (c) => c.charCodeAt(0)), 512);
    expect(sniffLayout(head)).toBe('gpt');
    head.set(Array.from('CD001', (c) => c.charCodeAt(0)), 0x8001);
    expect(sniffLayout(head)).toBe('iso9660');
    expect(sniffLayout(new Uint8Array(4096))).toBe('unknown');
    expect(sniffCompression(new Uint8Array([0x42, 0x5a, 0x68, 0x39]))).toBe('bzip2');
    expect(sniffCompression(new Uint8Array([0x42, 0x5a, 0x68, 0x41]))).toBe('none');
  });

  it('lets the magic win over a misleading extension, with a note', async () => {
    const fake = at('really-gzip.img');
    sh(`cp disk.img.gz ${fake}`);
    const detected = await detectImageFormat(fake);
    expect(detected.compression).toBe('gzip');
    expect(detected.note).toMatch(/gzip/);
    const source = await openImage(fake);
    expect(source.compression).toBe('gzip');
    expect((await hashImage(source)).sha256).toBe(imageSha);
  });

  it('refuses a file named .xz that has neither an xz signature nor a disk layout', async () => {
    const bogus = at('bogus.img.xz');
    writeFileSync(bogus, randomBytes(4096).fill(0x41, 0, 8).fill(0, 500, 520));
    await expect(detectImageFormat(bogus)).rejects.toMatchObject({ code: 'ERR_FORMAT_UNKNOWN' });
  });
});

describe('round trips against the system tools', () => {
  it.each([
    ['raw', 'disk.img', 'none'],
    ['single-block xz', 'single.img.xz', 'xz'],
    ['zstd', 'disk.img.zst', 'zstd'],
    ['gzip', 'disk.img.gz', 'gzip'],
    ['bzip2', 'disk.img.bz2', 'bzip2'],
    ['zip', 'disk.zip', 'zip'],
  ])('%s extracts to the original bytes', async (_label, name, compression) => {
    const source = await openImage(at(name));
    expect(source.compression).toBe(compression);
    const dest = freshDest();
    const result = await extractImage(source, dest, { expectedSize: imageSize, expectedSha256: imageSha });
    expect(result).toEqual({ size: imageSize, sha256: imageSha });
    expect(sha256(readFileSync(dest))).toBe(imageSha);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('multi-block xz is decoded in parallel, in order, with bounded memory', async () => {
    const index = await readXzIndex(at('multi.img.xz'));
    expect(index?.blocks.length).toBe(imageSize / (4 * MiB));
    expect(index?.uncompressedSize).toBe(imageSize);
    const { source, streams } = spy(await openImage(at('multi.img.xz'), { xzThreads: 2 }));
    expect(source.sizeHint).toBe(imageSize);
    const progress: ByteProgress[] = [];
    const dest = freshDest();
    const result = await extractImage(source, dest, { onProgress: (p) => progress.push(p) });
    expect(result).toEqual({ size: imageSize, sha256: imageSha });
    const decoder = xzDecoderOf(streams[0]);
    expect(decoder.blocksRead).toBe(index?.blocks.length);
    expect(decoder.lanes).toBe(2);
    expect(decoder.peakDecoding).toBe(2);
    // Two lanes: the Blocks behind the one being read may hold one and a half Blocks, no more.
    expect(decoder.aheadLimit).toBe(6 * MiB);
    expect(decoder.peakHeld).toBeGreaterThan(0);
    expect(decoder.peakHeld).toBeLessThanOrEqual(decoder.holdLimit);
    expect(progress.at(-1)).toMatchObject({ phase: 'decompressing', bytes: imageSize, total: imageSize });
  });

  it('single-block xz decodes on one lane', async () => {
    expect((await readXzIndex(at('single.img.xz')))?.blocks.length).toBe(1);
    const { source, streams } = spy(await openImage(at('single.img.xz')));
    expect((await hashImage(source)).sha256).toBe(imageSha);
    expect(xzDecoderOf(streams[0])).toMatchObject({ lanes: 1, blocksRead: 1, peakDecoding: 1 });
  });

  it('concatenated xz streams with stream padding decode in parallel', async () => {
    const index = await readXzIndex(at('concat.img.xz'));
    expect(index?.streams).toBe(2);
    expect(index?.blocks.length).toBe(5 + 8);
    const { source, streams } = spy(await openImage(at('concat.img.xz')));
    expect(await hashImage(source)).toEqual({ size: imageSize, sha256: imageSha });
    expect(xzDecoderOf(streams[0]).blocksRead).toBe(13);
  });

  it('multi-block xz decodes the same on one lane and on three', async () => {
    const one = spy(await openImage(at('multi.img.xz'), { xzThreads: 1 }));
    expect((await hashImage(one.source)).sha256).toBe(imageSha);
    expect(xzDecoderOf(one.streams[0])).toMatchObject({ lanes: 1, peakDecoding: 1, aheadLimit: 0 });
    const three = spy(await openImage(at('multi.img.xz'), { xzThreads: 3 }));
    expect((await hashImage(three.source)).sha256).toBe(imageSha);
    expect(xzDecoderOf(three.streams[0])).toMatchObject({ lanes: 3, aheadLimit: 12 * MiB });
  });

  it('hashImage writes nothing and reports progress as hashing', async () => {
    const phases = new Set<string>();
    const result = await hashImage(await openImage(at('disk.img.zst')), { onProgress: (p) => phases.add(p.phase) });
    expect(result).toEqual({ size: imageSize, sha256: imageSha });
    expect([...phases]).toEqual(['hashing']);
  });
});

describe('damaged archives', () => {
  it.each([
    ['gzip', 'disk.img.gz', /incorrect data check|invalid/],
    ['xz', 'single.img.xz', /corrupt/],
    ['xz', 'multi.img.xz', /block \d+/], // reported with the Block's number
    ['zstd', 'disk.img.zst', /checksum|corrupt/i],
    ['bzip2', 'disk.img.bz2', /crc/i],
    ['zip', 'disk.zip', /CRC-32 mismatch|invalid/],
  ])('corrupt %s (%s) fails with ERR_ARCHIVE_CORRUPT and leaves nothing', async (format, name, detail) => {
    await expectExtractFailure(corruptCopy(name), 'ERR_ARCHIVE_CORRUPT', format, {}, detail);
  });

  it.each([
    ['gzip', 'disk.img.gz'],
    ['xz', 'single.img.xz'],
    ['xz', 'multi.img.xz'],
    ['zstd', 'disk.img.zst'],
    ['bzip2', 'disk.img.bz2'],
    ['zip', 'disk.zip'],
  ])('truncated %s (%s) fails with ERR_ARCHIVE_TRUNCATED and leaves nothing', async (format, name) => {
    await expectExtractFailure(truncatedCopy(name), 'ERR_ARCHIVE_TRUNCATED', format);
  });
});

describe('zip entries', () => {
  const python = (script: string): void => void execFileSync('python3', ['-c', script], { cwd: dir, stdio: 'pipe' });

  it('refuses two images', async () => {
    python("import zipfile\nz = zipfile.ZipFile('two.zip', 'w')\nz.writestr('a.img', b'a' * 4096)\nz.writestr('b.iso', b'b' * 4096)\nz.close()");
    await expect(openImage(at('two.zip'))).rejects.toMatchObject({ code: 'ERR_ARCHIVE_MULTIPLE_IMAGES' });
  });

  it('refuses an entry that climbs out with ..', async () => {
    python("import zipfile\nz = zipfile.ZipFile('evil.zip', 'w')\nz.writestr('../evil.img', b'x' * 4096)\nz.close()");
    await expectExtractFailure(at('evil.zip'), 'ERR_ARCHIVE_PATH_TRAVERSAL', 'zip');
  });

  it('refuses an unsafe name even next to a good image', async () => {
    python("import zipfile\nz = zipfile.ZipFile('mixed.zip', 'w')\nz.writestr('good.img', b'x' * 4096)\nz.writestr('docs/../../etc/passwd', b'y')\nz.close()");
    await expect(openImage(at('mixed.zip'))).rejects.toMatchObject({ code: 'ERR_ARCHIVE_PATH_TRAVERSAL' });
  });

  it('picks the image next to a readme and reports the entry', async () => {
    python(
      "import zipfile\nz = zipfile.ZipFile('withreadme.zip', 'w', zipfile.ZIP_DEFLATED)\nz.writestr('release/', b'')\n" +
        "z.writestr('release/README.txt', b'hello')\nz.write('disk.img', 'release/disk.img')\nz.close()",
    );
    const source = await openImage(at('withreadme.zip'));
    expect(source.entryName).toBe('release/disk.img');
    expect(source.sizeHint).toBe(imageSize);
    expect((await hashImage(source)).sha256).toBe(imageSha);
  });

  it('applies the entry policy', () => {
    for (const name of ['../evil.img', '/abs.img', 'C:/win.img', 'c:evil.img', 'a/../../b.img', '..\\evil.img']) {
      expect(isUnsafeEntryName(name), name).toBe(true);
    }
    for (const name of ['disk.img', 'a/b/c.iso', 'a..b.img', '.hidden/x.raw']) expect(isUnsafeEntryName(name), name).toBe(false);
    expect(() => chooseImageEntry(['../evil.img'], 'z.zip')).toThrow(expect.objectContaining({ code: 'ERR_ARCHIVE_PATH_TRAVERSAL' }));
    expect(chooseImageEntry(['dir/', 'dir/notes.txt', 'dir/os.iso'], 'z.zip')).toBe('dir/os.iso');
    expect(chooseImageEntry(['firmware.bin'], 'z.zip')).toBe('firmware.bin');
    expect(chooseImageEntry(['__MACOSX/._os.img', 'os.img'], 'z.zip')).toBe('os.img');
    expect(() => chooseImageEntry(['os.img.xz', 'SHA256SUMS'], 'z.zip')).toThrow(expect.objectContaining({ code: 'ERR_ARCHIVE_UNSUPPORTED' }));
    expect(() => chooseImageEntry(['empty/'], 'z.zip')).toThrow(expect.objectContaining({ code: 'ERR_ARCHIVE_NO_IMAGE' }));
    expect(() => chooseImageEntry(['a.txt', 'b.txt'], 'z.zip')).toThrow(expect.objectContaining({ code: 'ERR_ARCHIVE_NO_IMAGE' }));
  });
});

describe('extract checks', () => {
  it('a wrong sha256 gives ERR_HASH_MISMATCH with both hashes and leaves no file', async () => {
    const dest = freshDest();
    const wrong = 'ab'.repeat(32);
    const err: unknown = await extractImage(await openImage(at('disk.img.gz')), dest, { expectedSha256: wrong }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_HASH_MISMATCH', details: { expected: wrong, actual: imageSha } });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('a wrong size gives ERR_SIZE_MISMATCH and leaves no file', async () => {
    const dest = freshDest();
    const err: unknown = await extractImage(await openImage(imagePath), dest, { expectedSize: imageSize + 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SIZE_MISMATCH', details: { expected: imageSize + 1, actual: imageSize } });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('cancelling a parallel xz extraction gives ERR_ABORTED and leaves no file', async () => {
    const dest = freshDest();
    const controller = new AbortController();
    const progress = (p: ByteProgress): void => {
      if (p.bytes > 0) controller.abort();
    };
    const source = await openImage(at('multi.img.xz'));
    const err: unknown = await extractImage(source, dest, { signal: controller.signal, onProgress: progress }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_ABORTED' });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });
});
