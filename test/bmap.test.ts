import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bmap, type ByteSpan, mappedSize, rangeSpan } from '../shared/bmap';
import { openImage } from '../electron/engine/source/open-image';
import { parseBmap, readBmap } from '../electron/engine/source/read-bmap';
import { writeImage } from '../electron/engine/write/write-targets';
import { runWriter } from '../electron/engine/writer-process/writer-client';
import { macula } from './helpers/cli';
import { Loops, sh } from './helpers/loops';

const MiB = 1 << 20;
const IMAGE_SIZE = 64 * MiB;
const FILL = 0xaa;
const repo = resolve(import.meta.dirname, '..');
const writerCommand: [string, ...string[]] = [process.execPath, '--import', 'tsx', join(repo, 'electron/cli/macula.ts'), 'write', '--ipc'];

function spans(bmap: Bmap): ByteSpan[] {
  return bmap.ranges.map((r) => rangeSpan(bmap, r));
}

/** The gaps between mapped spans, up to the image's end. */
function gaps(bmap: Bmap): ByteSpan[] {
  const out: ByteSpan[] = [];
  let at = 0;
  for (const span of spans(bmap)) {
    if (span.start > at) out.push({ start: at, end: span.start });
    at = span.end;
  }
  if (at < bmap.imageSize) out.push({ start: at, end: bmap.imageSize });
  return out;
}

/** A 0xAA-filled file of `size` bytes attached to a loop: bytes never written keep showing 0xAA. */
async function filledLoop(loops: Loops, file: string, size = IMAGE_SIZE): Promise<string> {
  await writeFile(file, Buffer.alloc(size, FILL));
  return loops.attach(file);
}

/** Rewrites BmapFileChecksum for edited bmap XML (the checksum of the file with the field zeroed, bmap format 1.3+). */
function resealBmap(xml: string): string {
  const field = /(<BmapFileChecksum>\s*)([0-9a-f]+)(\s*<\/BmapFileChecksum>)/;
  const zeroed = xml.replace(field, (_m, a: string, sum: string, b: string) => a + '0'.repeat(sum.length) + b);
  const digest = createHash('sha256').update(zeroed).digest('hex');
  return zeroed.replace(field, (_m, a: string, _sum: string, b: string) => a + digest + b);
}

/** Bytes this process has read through read(2) so far (/proc/self/io rchar). */
async function bytesReadSoFar(): Promise<number> {
  const io = await readFile('/proc/self/io', 'utf8');
  return Number(/^rchar: (\d+)$/m.exec(io)?.[1] ?? Number.NaN);
}

describe.skipIf(process.getuid?.() !== 0)('sparse writes with a block map, on real loop devices (root)', () => {
  let dir: string;
  let image: string;
  let imageBytes: Buffer;
  let bmap: Bmap;
  const loops = new Loops();

  /** Every mapped span of the target equals the image; every unmapped byte still holds the fill. */
  function checkSparse(target: Buffer, map: Bmap = bmap): void {
    for (const { start, end } of spans(map)) expect(target.subarray(start, end).equals(imageBytes.subarray(start, end)), `mapped ${start}-${end}`).toBe(true);
    for (const { start, end } of gaps(map)) expect(target.subarray(start, end).every((b) => b === FILL), `unmapped ${start}-${end}`).toBe(true);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-bmap-'));
    image = join(dir, 'os.img');
    // A GPT disk with one ext4 partition about a quarter full of random files; the inode tables are written out
    // (no lazy init, no discard) so the filesystem does not rely on unwritten blocks reading back as zeros.
    await writeFile(image, '');
    await truncate(image, IMAGE_SIZE);
    await sh('sgdisk', ['-o', '-n', '1:2048:0', '-t', '1:8300', image]);
    const loop = await loops.attach(image);
    await sh('partx', ['-a', loop]);
    await sh('mkfs.ext4', ['-q', '-E', 'lazy_itable_init=0,lazy_journal_init=0,nodiscard', `${loop}p1`]);
    const mnt = join(dir, 'mnt');
    await loops.mount([`${loop}p1`], mnt);
    for (let i = 0; i < 4; i++) await sh('dd', ['if=/dev/urandom', `of=${join(mnt, `f${i}`)}`, 'bs=1M', 'count=4', 'status=none']);
    await loops.cleanup();
    await writeFile(`${image}.bmap`, await sh('bmaptool', ['create', image]));
    await sh('gzip', ['-k', '-1', image]);
    imageBytes = await readFile(image);
    bmap = await readBmap(`${image}.bmap`);
  });
  afterEach(async () => {
    await loops.cleanup();
  });
  afterAll(async () => {
    await loops.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('the fixture is sparse: a quarter or so mapped, with holes', () => {
    const mapped = spans(bmap).reduce((n, s) => n + s.end - s.start, 0);
    expect(bmap.imageSize).toBe(IMAGE_SIZE);
    expect(mapped).toBeGreaterThan(IMAGE_SIZE / 5);
    expect(mapped).toBeLessThan(IMAGE_SIZE / 2);
  });

  it('writes only the mapped ranges, byte-identical, first chunk last; unmapped bytes untouched; fsck-clean', async () => {
    const backing = join(dir, 'target.bin');
    const loop = await filledLoop(loops, backing);
    const writes: { offset: number; length: number }[] = [];
    const readBefore = await bytesReadSoFar();
    const result = await writeImage({
      source: await openImage(image),
      targets: [loop],
      bmap,
      hooks: { onWrite: (_t, offset, length) => writes.push({ offset, length }) },
    });
    // The image is read only where mapped, as bmaptool reads it, and so is the target: twice the mapped bytes, and chunk
    // 0's mapped bytes once more (read again to be written last); reading the whole image made it 92.8 MB.
    expect((await bytesReadSoFar()) - readBefore).toBeLessThan(2 * mappedSize(bmap) + 4 * MiB);
    expect(result.targets[0]).toMatchObject({ ok: true, verified: true, notes: [expect.stringContaining('block map')] });
    // Read only where mapped, as bmaptool reads it (reads counted below): so its SHA-256 is not known.
    expect(result.sha256).toBeUndefined();
    checkSparse(await readFile(backing));
    const written = writes.reduce((n, w) => n + w.length, 0);
    expect(written).toBeLessThan(IMAGE_SIZE / 2);
    // First chunk last: the writes inside the first 4 MiB are exactly the final ones.
    const firstChunk = writes.findIndex((w) => w.offset < 4 * MiB);
    expect(writes.slice(firstChunk).every((w) => w.offset < 4 * MiB)).toBe(true);
    expect(writes.at(-1)?.offset).toBe(0);
    await sh('partx', ['-a', loop]);
    await sh('e2fsck', ['-fn', `${loop}p1`]);
  });

  it('reads back only the mapped ranges: corruption there is caught at its offset, in a hole it is not looked at', async () => {
    const span = spans(bmap).find((s) => s.end - s.start >= 8192 && s.start >= 4 * MiB);
    const hole = gaps(bmap).find((g) => g.end - g.start >= 8192);
    if (!span || !hole) throw new Error('fixture without a large range or hole');
    const bad = await filledLoop(loops, join(dir, 'bad.bin'));
    const fine = await filledLoop(loops, join(dir, 'fine.bin'));
    const corrupt = async (path: string, offset: number): Promise<void> => {
      const handle = await open(path, 'r+');
      await handle.write(Buffer.from([0x5a]), 0, 1, offset);
      await handle.close();
      await sh('blockdev', ['--flushbufs', path]);
    };
    const offset = span.start + 4097;
    const result = await writeImage({
      source: await openImage(image),
      targets: [bad, fine],
      bmap,
      hooks: { afterWrite: (t) => corrupt(t, t === bad ? offset : hole.start + 100) },
    });
    expect(imageBytes[offset]).not.toBe(0x5a);
    expect(result.targets[0]).toMatchObject({ ok: false, error: { code: 'ERR_VERIFY_MISMATCH', offset, message: expect.stringContaining('blocks') } });
    expect(result.targets[1]).toMatchObject({ ok: true, verified: true });
  });

  it('stops at a range whose checksum does not match: ERR_HASH_MISMATCH naming it, nothing after it, first MiB untouched', async () => {
    const span = spans(bmap).find((s) => s.start >= 12 * MiB);
    if (!span) throw new Error('fixture without a range past 12 MiB');
    const copy = join(dir, 'tampered.img');
    const bytes = Buffer.from(imageBytes);
    const at = Math.floor((span.start + span.end) / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    await writeFile(copy, bytes);
    const backing = join(dir, 'hm.bin');
    const loop = await filledLoop(loops, backing);
    const offsets: number[] = [];
    const run = writeImage({ source: await openImage(copy), targets: [loop], bmap, hooks: { onWrite: (_t, offset) => offsets.push(offset) } });
    await expect(run).rejects.toMatchObject({ code: 'ERR_HASH_MISMATCH', details: { offset: span.start }, message: expect.stringMatching(/blocks \d+-\d+/) });
    expect(offsets.length).toBeGreaterThan(0);
    expect(offsets.every((o) => o >= 4 * MiB && o < span.end)).toBe(true);
    const target = await readFile(backing);
    expect(target.subarray(0, MiB).every((b) => b === FILL)).toBe(true);
    expect(target.subarray(span.end).every((b) => b === FILL)).toBe(true);
  });

  it('refuses a bmap made for another image size before opening any target; a gzip image found too long by reading', async () => {
    const longer = join(dir, 'longer.img');
    await copyFile(image, longer);
    await truncate(longer, IMAGE_SIZE + 4096);
    const backing = join(dir, 'size.bin');
    const loop = await filledLoop(loops, backing, IMAGE_SIZE + 4096);
    const writes: number[] = [];
    const hooks = { onWrite: (_t: string, offset: number) => writes.push(offset) };
    await expect(writeImage({ source: await openImage(longer), targets: [loop], bmap, hooks })).rejects.toMatchObject({
      code: 'ERR_SIZE_MISMATCH',
      details: { expected: IMAGE_SIZE, actual: IMAGE_SIZE + 4096 },
    });
    expect(writes).toEqual([]);
    // gzip records no reliable size: the extra block is found while streaming, and chunk 0 is never written.
    await sh('gzip', ['-1', longer]);
    await expect(writeImage({ source: await openImage(`${longer}.gz`), targets: [loop], bmap, hooks })).rejects.toMatchObject({ code: 'ERR_SIZE_MISMATCH' });
    expect(writes.every((o) => o >= 4 * MiB)).toBe(true);
    expect((await readFile(backing)).subarray(0, 4 * MiB).every((b) => b === FILL)).toBe(true);
  });

  it('writes a gzip image with its bmap, sparse and verified', async () => {
    const backing = join(dir, 'gz.bin');
    const loop = await filledLoop(loops, backing);
    const result = await writeImage({ source: await openImage(`${image}.gz`), targets: [loop], bmap });
    expect(result.targets[0]).toMatchObject({ ok: true, verified: true });
    expect(result.size).toBe(IMAGE_SIZE);
    checkSparse(await readFile(backing));
  });

  it('reads a format 1.4 bmap (SHA-1 range checksums) and writes with it', async () => {
    const sha1 = (s: ByteSpan): string => createHash('sha1').update(imageBytes.subarray(s.start, s.end)).digest('hex');
    const xml = [
      '<?xml version="1.0" ?>',
      '<bmap version="1.4">',
      `<ImageSize>${bmap.imageSize}</ImageSize><BlockSize>${bmap.blockSize}</BlockSize>`,
      `<BlocksCount>${bmap.blocksCount}</BlocksCount><MappedBlocksCount>${bmap.mappedBlocksCount}</MappedBlocksCount>`,
      '<BlockMap>',
      ...bmap.ranges.map((r) => `<Range sha1="${sha1(rangeSpan(bmap, r))}">${r.first === r.last ? r.first : `${r.first}-${r.last}`}</Range>`),
      '</BlockMap></bmap>',
    ].join('\n');
    const old = parseBmap(xml, 'v14.bmap');
    expect(old).toMatchObject({ version: '1.4', checksumType: 'sha1', ranges: bmap.ranges.map((r) => ({ first: r.first, last: r.last })) });
    const backing = join(dir, 'v14.bin');
    const loop = await filledLoop(loops, backing);
    const result = await writeImage({ source: await openImage(image), targets: [loop], bmap: old });
    expect(result.targets[0]).toMatchObject({ ok: true, verified: true });
    checkSparse(await readFile(backing), old);
  });

  it('refuses a bmap that was edited without resealing, or that contradicts itself', async () => {
    const xml = await readFile(`${image}.bmap`, 'utf8');
    const edited = xml.replace(/<MappedBlocksCount>\s*(\d+)/, (_m, n: string) => `<MappedBlocksCount> ${Number(n) + 1}`);
    expect(() => parseBmap(edited, 'edited.bmap')).toThrow(expect.objectContaining({ code: 'ERR_BMAP_MALFORMED', message: expect.stringMatching(/checksum/i) }));
    expect(() => parseBmap(resealBmap(edited), 'resealed.bmap')).toThrow(expect.objectContaining({ code: 'ERR_BMAP_MALFORMED', message: expect.stringMatching(/MappedBlocksCount/) }));
    expect(parseBmap(resealBmap(xml), 'same.bmap')).toEqual(bmap);
  });

  it('macula flash picks up IMAGE.bmap beside the image, and the writer process takes --bmap over the protocol', async () => {
    const cliDir = join(dir, 'cli');
    await mkdir(cliDir, { recursive: true });
    const img = join(cliDir, 'node.img');
    await copyFile(image, img);
    await copyFile(`${image}.bmap`, `${img}.bmap`);
    const backing = join(dir, 'cli.bin');
    const loop = await filledLoop(loops, backing);
    const run = await macula(['flash', img, '--to', loop, '--yes', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e['event'] === 'bmap')).toMatchObject({ path: `${img}.bmap`, sidecar: true, imageSize: IMAGE_SIZE });
    expect(run.events.filter((e) => e['event'] === 'target')).toMatchObject([{ path: loop, ok: true, verified: true }]);
    checkSparse(await readFile(backing));

    const viaWriter = join(dir, 'writer.bin');
    const other = await filledLoop(loops, viaWriter);
    const result = await runWriter({ command: writerCommand, image: `${image}.gz`, bmap: `${image}.bmap`, targets: [other], verify: true });
    expect(result.targets).toMatchObject([{ path: other, ok: true, verified: true, notes: [expect.stringContaining('block map')] }]);
    checkSparse(await readFile(viaWriter));
  });
});
