import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMaculaError, type MaculaErrorCode } from '../shared/errors';
import { GPT_TYPE_LINUX_FILESYSTEM } from '../electron/engine/seed/partition-gpt';
import { planStatePartition, type StatePartitionPlan } from '../electron/engine/seed/partition-plan';
import { Loops, sh } from './helpers/loops';

/**
 * The state-partition planner against partition tables made by the real tools (sfdisk, sgdisk, xorriso,
 * grub-mkrescue), checked by the real tools after the patches are applied to a larger copy of each image.
 */

const MiB = 1 << 20;
const SECTOR = 512;
const EXTRA = 200 * MiB;
const hasGrub = await sh('sh', ['-c', 'command -v grub-mkrescue || true']).then((s) => s.trim() !== '');

let dir: string;
const loops = new Loops();

interface SfdiskPartition {
  readonly node: string;
  readonly start: number;
  readonly size: number;
  readonly type: string;
  readonly uuid?: string;
  readonly name?: string;
}
interface SfdiskTable {
  readonly label: 'dos' | 'gpt';
  readonly lastlba?: number;
  readonly partitions: readonly SfdiskPartition[];
}

async function sfdiskJson(file: string): Promise<SfdiskTable> {
  return (JSON.parse(await sh('sfdisk', ['-J', file])) as { partitiontable: SfdiskTable }).partitiontable;
}

async function randomFill(file: string, offset: number, length: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const chunk = Buffer.alloc(MiB);
    for (let done = 0; done < length; done += chunk.length) {
      for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
      await fh.write(chunk, 0, Math.min(chunk.length, length - done), offset + done);
    }
  } finally {
    await fh.close();
  }
}

async function readRange(file: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Plans from the image's first and last MiB, as the writer will. */
async function plan(image: string, targetSize: number, extra: { partitionGuid?: string } = {}): Promise<StatePartitionPlan> {
  const imageSize = (await stat(image)).size;
  const head = await readRange(image, 0, Math.min(MiB, imageSize));
  const tail = await readRange(image, Math.max(0, imageSize - MiB), Math.min(MiB, imageSize));
  return planStatePartition({ head, tail, imageSize, targetSize, ...extra });
}

/** The image copied into a sparse target of `targetSize` bytes, with the plan's patches written on top. */
async function flash(image: string, target: string, targetSize: number, p: StatePartitionPlan): Promise<void> {
  await copyFile(image, target);
  await truncate(target, targetSize);
  const fh = await open(target, 'r+');
  try {
    for (const patch of p.patches) await fh.write(patch.bytes, 0, patch.bytes.length, patch.offset);
  } finally {
    await fh.close();
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Each of the image's partitions (clipped to the image file) reads back byte-identical from the target, but for the
 * table sectors the plan patches: a Debian-style ISO partition starts at sector 0 and so contains the MBR.
 */
async function expectImagePartitionsIntact(image: string, target: string, p: StatePartitionPlan): Promise<void> {
  const imageSize = (await stat(image)).size;
  const before = await sfdiskJson(image);
  expect(before.partitions.length).toBeGreaterThan(0);
  for (const part of before.partitions) {
    const offset = part.start * SECTOR;
    const length = Math.min(part.size * SECTOR, imageSize - offset);
    const expected = await readRange(image, offset, length);
    for (const patch of p.patches) {
      if (patch.offset < offset + length && patch.offset + patch.bytes.length > offset) {
        expect(patch.offset + patch.bytes.length, `a patch reaches into ${part.node}'s data`).toBeLessThanOrEqual(offset + 64 * SECTOR);
        const from = Math.max(0, offset - patch.offset);
        patch.bytes.copy(expected, patch.offset + from - offset, from);
      }
    }
    expect(sha256(await readRange(target, offset, length)), `${part.node} changed`).toBe(sha256(expected));
  }
}

/** The GPT header at `lba` passes its CRC, points at `alternate`, and its entry array passes its CRC (UEFI 2.10 §5.3.2). */
async function expectGptHeader(file: string, lba: number, alternate: number): Promise<void> {
  const header = await readRange(file, lba * SECTOR, SECTOR);
  expect(header.toString('latin1', 0, 8)).toBe('EFI PART');
  const size = header.readUInt32LE(12);
  const zeroed = Buffer.from(header.subarray(0, size));
  zeroed.writeUInt32LE(0, 16);
  expect(crc32(zeroed), `header CRC at LBA ${lba}`).toBe(header.readUInt32LE(16));
  expect(Number(header.readBigUInt64LE(24))).toBe(lba);
  expect(Number(header.readBigUInt64LE(32))).toBe(alternate);
  const array = await readRange(file, Number(header.readBigUInt64LE(72)) * SECTOR, header.readUInt32LE(80) * header.readUInt32LE(84));
  expect(crc32(array), `entry array CRC of the header at LBA ${lba}`).toBe(header.readUInt32LE(88));
}

async function expectCode(promise: Promise<unknown>, code: MaculaErrorCode, message?: RegExp): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMaculaError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  if (message) expect((error as Error).message).toMatch(message);
  return error;
}

/**
 * The checks every fixture shares: the new partition listed by sfdisk at the planned offset, 1 MiB aligned, to the
 * end of the target, the image's partitions intact, and the partition exposed by `partx -a` on a loop with its size.
 */
async function expectStatePartition(image: string, target: string, targetSize: number, p: StatePartitionPlan): Promise<SfdiskPartition> {
  const imageSize = (await stat(image)).size;
  const table = await sfdiskJson(target);
  expect(table.label).toBe(p.table === 'mbr' ? 'dos' : 'gpt');
  const part = table.partitions.find((x) => x.node === `${target}${p.partitionNumber}`);
  expect(part, `partition ${p.partitionNumber} in ${JSON.stringify(table.partitions)}`).toBeDefined();
  if (!part) throw new Error('unreachable');
  expect(part.start * SECTOR).toBe(p.offset);
  expect(part.size * SECTOR).toBe(p.size);
  expect(p.offset % MiB).toBe(0);
  expect(p.offset).toBeGreaterThanOrEqual(imageSize);
  expect(p.offset - MiB).toBeLessThan(Math.max(imageSize, ...(await sfdiskJson(image)).partitions.map((x) => (x.start + x.size) * SECTOR)));
  expect(p.size).toBeGreaterThanOrEqual(64 * MiB);
  if (p.table === 'mbr') {
    expect(part.type).toBe('83');
    // It ends on the last 1 MiB boundary before a backup GPT's 33 sectors (so gdisk could convert the disk and
    // `sgdisk -v` finds nothing), unless only the minimum is free: then it runs to the end of the target.
    const reservedEnd = Math.floor((targetSize / SECTOR - 33) / 2048) * 2048;
    const roomy = (reservedEnd - part.start) * SECTOR >= 64 * MiB;
    expect(part.start + part.size).toBe(roomy ? reservedEnd : targetSize / SECTOR);
    if (roomy) expect(await sh('sgdisk', ['-v', target])).toContain('No problems found');
  } else {
    expect(part.type).toBe(GPT_TYPE_LINUX_FILESYSTEM);
    expect(part.name).toBe('MACULAOS_STATE');
    expect(part.uuid).toBe(p.partitionGuid);
    expect(part.start + part.size - 1).toBe(table.lastlba);
    const verify = await sh('sgdisk', ['-v', target]);
    expect(verify).toContain('No problems found');
    // sgdisk silently rebuilds a damaged primary from the backup (and vice versa): no other caution may appear than
    // the two expected ones (the partition ends at LastUsableLBA, not on a 1 MiB boundary; grub-mkrescue's entry array
    // at LBA 20), and both headers are checked below.
    const unexpected = verify
      .split(/\n\s*\n/)
      .filter((paragraph) => !/doesn't end on a \d+-sector boundary|gap between the main metadata/.test(paragraph));
    expect(unexpected.join('\n\n')).not.toMatch(/caution|warning|invalid|damaged|corrupt/i);
    await expectGptHeader(target, 1, targetSize / SECTOR - 1);
    await expectGptHeader(target, targetSize / SECTOR - 1, 1);
  }
  for (const other of table.partitions) {
    if (other === part) continue;
    expect(other.start + other.size <= part.start || other.start >= part.start + part.size, `${other.node} overlaps`).toBe(true);
  }
  await expectImagePartitionsIntact(image, target, p);

  const device = await loops.attach(target);
  await sh('partx', ['-a', device]);
  const size = Number((await sh('blockdev', ['--getsize64', `${device}p${p.partitionNumber}`])).trim());
  expect(size).toBe(p.size);
  return part;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'macula-state-partition-'));
});
afterEach(async () => {
  await loops.cleanup();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An RPi-style image: FAT (0x0c) at 4 MiB, Linux (0x83) after it, ending on an odd sector, random contents. */
async function rpiImage(name = 'rpi.img', script = 'label: dos\nstart=8192, size=32768, type=c, bootable\nstart=40960, size=32775, type=83\n'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, '');
  await truncate(file, 73735 * SECTOR);
  await sh('sh', ['-c', `printf '%s' "$1" | sfdisk -q "$2"`, 'sh', script, file]);
  await randomFill(file, 8192 * SECTOR, (73735 - 8192) * SECTOR);
  return file;
}

/** A GPT image made by sgdisk: ESP + Linux root, backup GPT at the image's end. */
async function sgdiskImage(name = 'gpt.img'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, '');
  await truncate(file, 30 * MiB + 17 * SECTOR);
  await sh('sgdisk', ['-o', '-n', '1:2048:+8M', '-t', '1:ef00', '-n', '2:0:+16M', '-t', '2:8300', '-c', '2:rootfs', file]);
  await randomFill(file, MiB, 24 * MiB);
  return file;
}

/** A small ISO tree with 3 MiB of random payload (and a grub.cfg for grub-mkrescue). */
async function isoTree(): Promise<string> {
  const tree = join(dir, 'tree');
  await sh('mkdir', ['-p', join(tree, 'boot/grub')]);
  await writeFile(join(tree, 'boot/grub/grub.cfg'), 'set timeout=0\n');
  await writeFile(join(tree, 'payload.bin'), '');
  await randomFill(join(tree, 'payload.bin'), 0, 3 * MiB);
  return tree;
}

/** An ISO made by `xorriso -as mkisofs` with `args`, in which `@esp` stands for a 4 MiB random appended partition. */
async function xorriso(name: string, args: readonly string[]): Promise<string> {
  const tree = await isoTree();
  const esp = join(dir, 'esp.bin');
  await writeFile(esp, '');
  await randomFill(esp, 0, 4 * MiB);
  const file = join(dir, name);
  await sh('xorriso', ['-as', 'mkisofs', '-o', file, '-V', 'TESTISO', ...args.map((a) => (a === '@esp' ? esp : a)), tree]);
  return file;
}

describe('MBR images', () => {
  it('adds a 0x83 primary after an RPi-style image, byte for byte what sfdisk writes', async () => {
    const image = await rpiImage();
    const target = join(dir, 'rpi-target.img');
    const targetSize = (await stat(image)).size + EXTRA + 7 * SECTOR;
    const roundedTarget = Math.floor(targetSize / SECTOR) * SECTOR;
    const p = await plan(image, roundedTarget);
    expect(p).toMatchObject({ table: 'mbr', partitionNumber: 3, offset: 37 * MiB });
    // A stale backup GPT a stick may keep in its last sector is zeroed (it lies past the 64 MiB state filesystem).
    expect(p.patches.find((x) => x.offset === roundedTarget - SECTOR)?.bytes).toEqual(Buffer.alloc(SECTOR));
    await flash(image, target, roundedTarget, p);
    await expectStatePartition(image, target, roundedTarget, p);

    // sfdisk, asked for the same partition, writes the same sector 0 (CHS fields included).
    const bySfdisk = join(dir, 'rpi-sfdisk.img');
    await copyFile(image, bySfdisk);
    await truncate(bySfdisk, roundedTarget);
    await sh('sh', ['-c', `echo "start=${p.offset / SECTOR}, size=${p.size / SECTOR}, type=83" | sfdisk -q --append "$1"`, 'sh', bySfdisk]);
    expect((await readRange(target, 0, SECTOR)).equals(await readRange(bySfdisk, 0, SECTOR))).toBe(true);
  });

  it('steps over partitions declared past the end of the image file', async () => {
    const image = await rpiImage('rpi-short.img');
    await truncate(image, 60000 * SECTOR); // partition 2 ends at sector 73735, past the file's end
    const p = await plan(image, 300 * MiB);
    expect(p.offset).toBe(37 * MiB);
  });

  it('refuses an MBR whose four primary slots are used, naming logical partitions as unsupported', async () => {
    const image = await rpiImage('rpi-full.img', 'label: dos\nstart=2048, size=2048, type=c\nstart=4096, size=2048, type=83\nstart=6144, size=2048, type=83\nstart=8192, size=2048, type=82\n');
    await expectCode(plan(image, 300 * MiB), 'ERR_PARTITION_TABLE_FULL', /four primary.*0x0c, 0x83, 0x83, 0x82.*logical partition is not supported/);
  });

  it('refuses a target with less than 64 MiB after the image, and accepts exactly 64 MiB', async () => {
    const image = await rpiImage('rpi-room.img');
    const error = await expectCode(plan(image, 37 * MiB + 63 * MiB), 'ERR_NO_ROOM_FOR_STATE', /63 MiB from the next 1 MiB boundary \(38797312\)/);
    expect((error as { details: object }).details).toMatchObject({ expected: 64 * MiB, actual: 63 * MiB, offset: 37 * MiB });
    const p = await plan(image, 37 * MiB + 64 * MiB);
    expect(p.size).toBe(64 * MiB);
  });

  it('caps the entry at 2^32 - 1 sectors on a target past 2 TiB', async () => {
    const image = await rpiImage('rpi-big.img');
    const p = await plan(image, 3 * 2 ** 40);
    expect(p.size).toBe((2 ** 32 - 1) * SECTOR);
    const entry = p.patches[0]?.bytes.subarray(0x1be + 2 * 16, 0x1be + 3 * 16);
    // Start 75776 = CHS (4, 182, 51) in 255/63 geometry; the end is past cylinder 1023: FE FF FF.
    expect(entry?.toString('hex')).toBe('00b6330483feffff00280100ffffffff');
  });
});

describe('hybrid ISOs with MBR-only tables', () => {
  it.each([
    ['Debian-style type 0x00 entry from sector 0', 'iso-type0.iso', ['-iso_mbr_part_type', '0x00', '--mbr-force-bootable']],
    ['0xcd entry at -partition_offset 16', 'iso-cd.iso', ['-partition_offset', '16']],
    ['0x17 entry at -partition_offset 16', 'iso-17.iso', ['-partition_offset', '16', '-iso_mbr_part_type', '0x17']],
  ])('adds a 0x83 primary to an ISO with a %s and an 0xef ESP', async (_what, name, args) => {
    const image = await xorriso(name, [...args, '-append_partition', '2', '0xef', '@esp']);
    expect((await sfdiskJson(image)).label).toBe('dos');
    const target = join(dir, `${name}.target`);
    const targetSize = (await stat(image)).size + EXTRA;
    const p = await plan(image, targetSize);
    expect(p.table).toBe('mbr');
    expect(p.partitionNumber).toBe(3);
    await flash(image, target, targetSize, p);
    await expectStatePartition(image, target, targetSize, p);
    expect((await sh('blkid', ['-p', '-o', 'value', '-s', 'LABEL', target])).trim()).toBe('TESTISO');
  });
});

describe('GPT images', () => {
  it('adds a Linux filesystem entry to an sgdisk image and moves the backup GPT to the target end', async () => {
    const image = await sgdiskImage();
    const target = join(dir, 'gpt-target.img');
    const targetSize = (await stat(image)).size + EXTRA;
    const p = await plan(image, targetSize);
    expect(p).toMatchObject({ table: 'gpt', partitionNumber: 3, offset: 31 * MiB });
    await flash(image, target, targetSize, p);
    await expectStatePartition(image, target, targetSize, p);
    // Protective MBR covers the whole target (UEFI 2.10 §5.2.3).
    const mbr = await readRange(target, 0, SECTOR);
    expect(mbr[0x1be + 4]).toBe(0xee);
    expect(mbr.readUInt32LE(0x1be + 12)).toBe(targetSize / SECTOR - 1);
    // The backup header sits in the last sector, its entry array CRC matches.
    const backup = await readRange(target, targetSize - SECTOR, SECTOR);
    expect(backup.toString('latin1', 0, 8)).toBe('EFI PART');
    expect(Number(backup.readBigUInt64LE(24))).toBe(targetSize / SECTOR - 1);
    const array = await readRange(target, targetSize - 33 * SECTOR, 32 * SECTOR);
    expect(crc32(array)).toBe(backup.readUInt32LE(88));
  });

  it('gives each plan a fresh partition GUID', async () => {
    const image = await sgdiskImage('gpt-guid.img');
    const size = (await stat(image)).size + EXTRA;
    const [a, b] = [await plan(image, size), await plan(image, size)];
    expect(a.partitionGuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(a.partitionGuid).not.toBe(b.partitionGuid);
  });

  it('keeps a hybrid MBR made by sgdisk -h consistent', async () => {
    const image = await sgdiskImage('gpt-hybrid.img');
    await sh('sgdisk', ['-h', '1:EE', image]);
    const before = await readRange(image, 0, SECTOR);
    const target = join(dir, 'gpt-hybrid-target.img');
    const targetSize = (await stat(image)).size + EXTRA;
    const p = await plan(image, targetSize);
    await flash(image, target, targetSize, p);
    await expectStatePartition(image, target, targetSize, p);
    const after = await readRange(target, 0, SECTOR);
    // The mirrored ESP entry is untouched; the 0xEE entry still ends where it did, short of the old backup GPT.
    expect(after.equals(before)).toBe(true);
  });

  it('refuses room under 64 MiB once the backup GPT takes its 33 sectors', async () => {
    const image = await sgdiskImage('gpt-room.img');
    await expectCode(plan(image, 31 * MiB + 64 * MiB), 'ERR_NO_ROOM_FOR_STATE', /needs 64 MiB/);
    const p = await plan(image, 31 * MiB + 64 * MiB + 33 * SECTOR);
    expect(p.size).toBe(64 * MiB);
  });

  it('writes 0xFFFFFFFF in the protective entry of a target past 2 TiB', async () => {
    const image = await sgdiskImage('gpt-big.img');
    const p = await plan(image, 3 * 2 ** 40);
    const mbr = p.patches.find((x) => x.offset === 0)?.bytes;
    expect(mbr?.readUInt32LE(0x1be + 12)).toBe(0xffffffff);
  });

  it('refuses a primary GPT whose entry array fails its CRC', async () => {
    const image = await sgdiskImage('gpt-bad.img');
    const fh = await open(image, 'r+');
    await fh.write(Buffer.from([0x42]), 0, 1, 2 * SECTOR + 128 + 56); // a byte of entry 2's name
    await fh.close();
    await expectCode(plan(image, 300 * MiB), 'ERR_PARTITION_TABLE_INVALID', /entry array fails its CRC32/);
  });
});

describe('hybrid ISOs with GPT', () => {
  it('adds an entry to an xorriso -appended_part_as_gpt ISO (248 entries, GUID:60 attributes kept)', async () => {
    const image = await xorriso('iso-gpt.iso', ['-append_partition', '2', '0xef', '@esp', '-appended_part_as_gpt']);
    const target = join(dir, 'iso-gpt.target');
    const targetSize = (await stat(image)).size + EXTRA;
    const p = await plan(image, targetSize);
    expect(p).toMatchObject({ table: 'gpt', partitionNumber: 4 });
    await flash(image, target, targetSize, p);
    await expectStatePartition(image, target, targetSize, p);
    const dump = await sh('sfdisk', ['-d', target]);
    expect(dump).toContain('table-length: 248');
    expect(dump.match(/attrs="RequiredPartition GUID:60"/g)).toHaveLength(2);
    expect((await sh('blkid', ['-p', '-o', 'value', '-s', 'LABEL', target])).trim()).toBe('TESTISO');
  });

  it.skipIf(!hasGrub)('adds an entry to a grub-mkrescue ISO (entry array at LBA 20)', async () => {
    const tree = await isoTree();
    const image = join(dir, 'grub.iso');
    await sh('grub-mkrescue', ['-o', image, tree]);
    const target = join(dir, 'grub.target');
    const targetSize = (await stat(image)).size + EXTRA;
    const p = await plan(image, targetSize);
    expect(p).toMatchObject({ table: 'gpt', partitionNumber: 5 });
    await flash(image, target, targetSize, p);
    await expectStatePartition(image, target, targetSize, p);
  });
});
