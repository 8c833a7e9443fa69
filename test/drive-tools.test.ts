import { createHash } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { macula } from './helpers/cli';
import { Loops, sh } from './helpers/loops';
import { type OsImage, grubHybridIso, rpiStyleImage } from './helpers/os-images';

/**
 * `macula check`, `clone` and `restore` on real loop devices holding real seeded flashes (an RPi-style MBR IMG and a
 * grub-mkrescue GPT hybrid ISO), inspected with the system's own tools (sfdisk, fsck, bmaptool, xz, zstd).
 */

const root = process.getuid?.() === 0;
const MiB = 1 << 20;
const TOKEN = 'enroll-3f9c1a7e5b2d4c6e8a0b1c2d3e4f5a6b';
let dir: string;
const loops = new Loops();

async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Flips one byte of a device at `offset` (through the page cache, then flushed and dropped so O_DIRECT sees it). */
async function flipByte(device: string, offset: number): Promise<void> {
  const handle = await open(device, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await handle.write(byte, 0, 1, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await sh('blockdev', ['--flushbufs', device]);
}

/** A loop device of `size` bytes flashed with `image` and a seed holding a secret. */
async function seededTarget(name: string, image: OsImage, size: number): Promise<string> {
  const device = await loops.create(join(dir, `${name}.target`), size);
  await sh('sh', ['-c', `yes macula-old-content | head -c ${size} > "$1"`, 'sh', device]);
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, TOKEN);
  const run = await macula(['flash', image.path, '--to', device, '--hostname', 'check-node', '--portal-url', 'https://portal.example.com', '--portal-token', `@${tokenFile}`, '--yes', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return device;
}

async function sfdiskJson(device: string): Promise<{ label: string; partitions: { start: number; size: number; type: string }[] }> {
  return (JSON.parse(await sh('sfdisk', ['-J', device])) as { partitiontable: { label: string; partitions: { start: number; size: number; type: string }[] } }).partitiontable;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'macula-drive-tools-'));
});
afterEach(async () => {
  await loops.cleanup();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!root)('macula check on seeded flashes (root, loop devices)', () => {
  it.each([
    ['an RPi-style MBR IMG', 'rpi', 2],
    ['a GPT hybrid ISO', 'iso', 0],
  ] as const)('passes on a fresh flash of %s and names the offset and partition of a flipped byte', async (_what, kind, partitionIndex) => {
    const image = kind === 'rpi' ? await rpiStyleImage(dir, 'check-rpi.img') : await grubHybridIso(dir, 'check.iso');
    const device = await seededTarget(`check-${kind}.img`, image, 200 * MiB);
    const ok = await macula(['check', device, '--image', image.path, '--json']);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const checked = ok.events.find((e) => e['event'] === 'checked');
    expect(checked).toMatchObject({ ok: true, differences: [], state: { seed: { hostname: 'check-node' } } });
    expect(ok.stdout).not.toContain(TOKEN);

    // A byte inside one of the image's partitions, past any table sector.
    const part = image.partitions[partitionIndex] ?? image.partitions[0];
    if (part === undefined) throw new Error('the image has no partitions');
    const offset = part.offset + Math.floor(part.size / 2) + 123;
    await flipByte(device, offset);
    const bad = await macula(['check', device, '--image', image.path, '--json']);
    expect(bad.code).toBe(3);
    const difference = bad.events.find((e) => e['event'] === 'difference');
    expect(difference).toMatchObject({ offset, region: { kind: 'partition', partition: part.number } });
    const human = await macula(['check', device, '--image', image.path]);
    expect(human.stdout).toContain(`offset ${offset}`);
    expect(human.stdout).toContain(`partition ${part.number}`);
  });

  it('names the partition table when a table sector the flash wrote is changed', async () => {
    const image = await rpiStyleImage(dir, 'check-table.img');
    const device = await seededTarget('check-table-target.img', image, 200 * MiB);
    // The state partition's MBR entry (slot 3): its size field.
    const offset = 0x1be + 2 * 16 + 12;
    await flipByte(device, offset);
    const bad = await macula(['check', device, '--image', image.path, '--json']);
    expect(bad.code).toBe(3);
    expect(bad.events.filter((e) => e['event'] === 'difference')).toContainEqual(expect.objectContaining({ offset, region: { kind: 'table' } }));
  });
});

describe.skipIf(!root)('macula clone (root, loop devices)', () => {
  it.each(['xz', 'zst', 'gz', 'img'])('clones a seeded flash into .%s that decompresses to the drive\'s bytes over the length it reports', async (ext) => {
    const image = await rpiStyleImage(dir, `clone-${ext}.img`);
    const device = await seededTarget(`clone-${ext}-target.img`, image, 160 * MiB);
    const out = join(dir, `backup-${ext}.img${ext === 'img' ? '' : `.${ext}`}`);
    const run = await macula(['clone', device, '--out', out, '--bmap', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const cloned = run.events.find((e) => e['event'] === 'cloned') as { size: number; sha256: string; partitionsOnly: boolean; bmap: string };
    const table = await sfdiskJson(device);
    const end = Math.max(...table.partitions.map((p) => (p.start + p.size) * 512));
    expect(cloned.size).toBe(end);
    const raw = join(dir, `restored-${ext}.img`);
    const decompress = { xz: 'xz -dc', zst: 'zstd -dc', gz: 'gzip -dc', img: 'cat' }[ext];
    await sh('sh', ['-c', `${decompress} "$1" > "$2"`, 'sh', out, raw]);
    const bytes = createHash('sha256').update(await readAt(raw, 0, cloned.size + 1)).digest('hex');
    const deviceBytes = createHash('sha256').update(await readAt(device, 0, cloned.size)).digest('hex');
    expect(bytes).toBe(deviceBytes);
    expect(cloned.sha256).toBe(deviceBytes);

    // bmaptool writes the clone onto a fresh loop from the block map and checks every range against it.
    const copy = await loops.create(join(dir, `bmap-copy-${ext}.img`), 160 * MiB);
    await sh('bmaptool', ['copy', '--bmap', cloned.bmap, out, copy]);
    expect(createHash('sha256').update(await readAt(copy, 0, cloned.size)).digest('hex')).toBe(deviceBytes);
  });

  it('reads the whole drive with --whole, and never needs it unmounted', async () => {
    const device = await loops.create(join(dir, 'whole.img'), 64 * MiB);
    await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, size=20480, type=83\\n' | sfdisk -q "$1" && partx -a "$1" && mkfs.ext4 -q "$1p1"`, 'sh', device]);
    await loops.mount([`${device}p1`], join(dir, 'whole-mnt'));
    const out = join(dir, 'whole.img.zst');
    const run = await macula(['clone', device, '--out', out, '--whole', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.find((e) => e['event'] === 'cloned')).toMatchObject({ size: 64 * MiB, partitionsOnly: false });
    expect(await sh('findmnt', ['-n', '-o', 'SOURCE', join(dir, 'whole-mnt')])).toContain(`${device}p1`);
  });
});

describe.skipIf(!root)('macula restore (root, loop devices)', () => {
  it.each([
    ['a seeded GPT hybrid ISO', 'fat32', 'iso'],
    ['a seeded RPi-style IMG', 'exfat', 'rpi'],
  ] as const)('turns %s into one %s partition: fsck clean, no EFI PART in LBA 1 or the last sector', async (_what, fs, kind) => {
    const image = kind === 'iso' ? await grubHybridIso(dir, 'restore.iso') : await rpiStyleImage(dir, 'restore-rpi.img');
    const size = 200 * MiB;
    const device = await seededTarget(`restore-${kind}.img`, image, size);
    if (kind === 'iso') expect((await readAt(device, size - 512, 8)).toString('latin1')).toBe('EFI PART');
    const run = await macula(['restore', device, '--yes', '--fs', fs, '--label', 'STICK', '--json']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const table = await sfdiskJson(device);
    expect(table.label).toBe('dos');
    expect(table.partitions).toHaveLength(1);
    expect(table.partitions[0]).toMatchObject({ start: 2048, type: fs === 'fat32' ? 'c' : '7' });
    expect((await readAt(device, 512, 8)).toString('latin1')).not.toBe('EFI PART');
    expect((await readAt(device, size - 512, 8)).toString('latin1')).not.toBe('EFI PART');
    expect(await readAt(device, size - 512, 512)).toEqual(Buffer.alloc(512));
    const part = `${device}p1`;
    await sh(fs === 'fat32' ? 'fsck.vfat' : 'fsck.exfat', ['-n', part]);
    expect((await sh('blkid', ['-o', 'export', part]))).toMatch(new RegExp(`TYPE=${fs === 'fat32' ? 'vfat' : 'exfat'}`));
    expect(await sh('blkid', ['-o', 'value', '-s', 'LABEL', part])).toContain('STICK');
    // wipefs finds nothing on the disk but the new table.
    expect((await sh('wipefs', ['--no-act', '-O', 'TYPE', device])).split('\n').map((l) => l.trim()).filter((l) => l && l !== 'TYPE')).toEqual(['dos']);
  });

  it('refuses without --yes off a terminal, writing nothing', async () => {
    const device = await loops.create(join(dir, 'noyes.img'), 64 * MiB);
    await sh('sh', ['-c', `yes old | head -c ${64 * MiB} > "$1"`, 'sh', device]);
    const before = createHash('sha256').update(await readAt(device, 0, 2 * MiB)).digest('hex');
    const run = await macula(['restore', device]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--yes/);
    expect(createHash('sha256').update(await readAt(device, 0, 2 * MiB)).digest('hex')).toBe(before);
  });
});
