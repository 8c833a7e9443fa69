import { randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../electron/engine/source/open-image';
import { readBmap } from '../electron/engine/source/read-bmap';
import { runWriter } from '../electron/engine/writer-process/writer-client';
import { writeImage } from '../electron/engine/write/write-targets';
import { corruptByte } from './helpers/corrupt';
import { Loops, sh } from './helpers/loops';

/**
 * Seeding inside the writer (writeImage with `stateConfigs`) on loop devices and regular files: the read-back covers
 * what seeding adds, a sparse write and the writer process seed too, and a GPT image gets its backup table moved.
 */

const root = process.getuid?.() === 0;
const MiB = 1 << 20;
const SEED = '#cloud-config\nhostname: engine-node\nmaculaos:\n  timezone: UTC\n';
const repo = join(import.meta.dirname, '..');
const writerCommand: [string, ...string[]] = [process.execPath, '--import', 'tsx', join(repo, 'electron/cli/macula.ts'), 'write', '--ipc'];


describe.skipIf(!root)('writeImage with a seed (root: loop devices)', () => {
  let dir: string;
  let mbr: string;
  let gpt: string;
  const loops = new Loops();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-write-state-'));
    mbr = join(dir, 'mbr.img');
    await writeFile(mbr, randomFillSync(Buffer.alloc(24 * MiB)));
    await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, size=16384, type=c\\nstart=18432, type=83\\n' | sfdisk -q ${mbr}`]);
    gpt = join(dir, 'gpt.img');
    await writeFile(gpt, randomFillSync(Buffer.alloc(24 * MiB)));
    await sh('sgdisk', ['-o', '-n', '1:2048:+8M', '-t', '1:ef00', '-n', '2:0:0', '-t', '2:8300', gpt]);
  });
  afterEach(async () => {
    await loops.cleanup();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('catches a byte changed in the state filesystem after writing, naming it', async () => {
    const bad = await loops.create(join(dir, 'bad-fs.bin'), 128 * MiB);
    const good = await loops.create(join(dir, 'good-fs.bin'), 128 * MiB);
    const offset = 24 * MiB + 1024 + 0x78; // the new filesystem's superblock: its volume name
    const result = await writeImage({
      source: await openImage(mbr),
      targets: [bad, good],
      stateConfigs: [SEED, SEED],
      hooks: { afterWrite: (target) => (target === bad ? corruptByte(bad, offset) : undefined) },
    });
    expect(result.targets[0]).toMatchObject({ ok: false, error: { code: 'ERR_VERIFY_MISMATCH', offset, message: expect.stringMatching(/MACULAOS_STATE filesystem/) } });
    expect(result.targets[1]).toMatchObject({ ok: true, verified: true, state: { table: 'mbr', partition: 3, offset: 24 * MiB } });
  });

  it("catches a changed byte in the target's new partition entry, which the image check alone cannot see", async () => {
    const bad = await loops.create(join(dir, 'bad-table.bin'), 128 * MiB);
    const offset = 0x1be + 2 * 16 + 8; // entry 3's first LBA
    const result = await writeImage({
      source: await openImage(mbr),
      targets: [bad],
      stateConfigs: [SEED],
      hooks: { afterWrite: () => corruptByte(bad, offset) },
    });
    expect(result.targets[0]).toMatchObject({ ok: false, error: { code: 'ERR_VERIFY_MISMATCH', offset, message: expect.stringMatching(/partition table/) } });
  });

  it('seeds a GPT image on a regular file (4 KiB O_DIRECT units): backup GPT at the file end, sgdisk -v clean', async () => {
    const file = join(dir, 'gpt-target.img');
    await writeFile(file, '');
    await truncate(file, 100 * MiB);
    const result = await writeImage({ source: await openImage(gpt), targets: [file], stateConfigs: [SEED] });
    expect(result.targets[0]).toMatchObject({ ok: true, verified: true, state: { table: 'gpt', partition: 3 } });
    expect((await stat(file)).size).toBe(100 * MiB);
    expect(await sh('sgdisk', ['-v', file])).toContain('No problems found');
    const device = await loops.attach(file);
    await sh('partx', ['-a', device]);
    expect(await sh('blkid', [`${device}p3`])).toMatch(/LABEL="MACULAOS_STATE".*TYPE="ext4".*PARTLABEL="MACULAOS_STATE"/);
    expect(await sh('e2fsck', ['-fn', `${device}p3`])).toMatch(/MACULAOS_STATE: \d+\/\d+ files/);
    expect(await sh('debugfs', ['-R', 'cat /macula/system/config.yaml', `${device}p3`])).toBe(SEED);
  });

  it('seeds more targets at once than the write has buffers (eight regular files), each its own seed', async () => {
    const files = Array.from({ length: 8 }, (_, i) => join(dir, `many-${i}.img`));
    for (const file of files) {
      await writeFile(file, '');
      await truncate(file, 100 * MiB);
    }
    const seeds = files.map((_, i) => SEED.replace('engine-node', `engine-node-${i}`));
    const result = await writeImage({ source: await openImage(mbr), targets: files, stateConfigs: seeds });
    expect(result.targets).toEqual(files.map((path) => expect.objectContaining({ path, ok: true, verified: true, state: expect.objectContaining({ table: 'mbr', partition: 3 }) })));
    for (const [i, file] of files.entries()) {
      const device = await loops.attach(file);
      await sh('partx', ['-a', device]);
      expect(await sh('debugfs', ['-R', 'cat /macula/system/config.yaml', `${device}p3`])).toBe(seeds[i]);
    }
  });

  it('seeds in a sparse write with a block map, the read-back passing', async () => {
    const sparse = join(dir, 'sparse.img');
    await writeFile(sparse, '');
    await truncate(sparse, 32 * MiB);
    await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q ${sparse} && head -c ${4 * MiB} /dev/urandom | dd of=${sparse} bs=1M seek=8 conv=notrunc status=none`]);
    await sh('bmaptool', ['create', '-o', `${sparse}.bmap`, sparse]);
    const device = await loops.create(join(dir, 'sparse-target.bin'), 128 * MiB);
    const result = await writeImage({ source: await openImage(sparse), bmap: await readBmap(`${sparse}.bmap`), targets: [device], stateConfigs: [SEED] });
    expect(result.targets[0]).toMatchObject({ ok: true, verified: true, state: { partition: 2 } });
    await sh('partx', ['-a', device]);
    expect(await sh('e2fsck', ['-fn', `${device}p2`])).toMatch(/MACULAOS_STATE/);
  });

  it('seeds through the writer process, which validates each seed again and refuses a bad one before writing', async () => {
    const device = await loops.create(join(dir, 'ipc-target.bin'), 128 * MiB);
    const result = await runWriter({ command: writerCommand, image: mbr, targets: [device], verify: true, seeds: [SEED] });
    expect(result.targets[0]).toMatchObject({ ok: true, verified: true, state: { table: 'mbr', partition: 3, uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) } });

    const before = await readFile(device);
    const refused = runWriter({ command: writerCommand, image: mbr, targets: [device], verify: true, seeds: ['#cloud-config\nhostname: -nope-\n'] });
    await expect(refused).rejects.toMatchObject({ code: 'ERR_SEED_INVALID', message: expect.stringMatching(/hostname/) });
    expect((await readFile(device)).equals(before)).toBe(true);
  });
});
