import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectImage } from '../electron/engine/inspect/inspect-image';

/** Partition tables and ISO 9660 volumes made by the real tools (sgdisk, xorriso), read back by `inspectImage`. */
describe('inspectImage on images made by real partitioning and ISO tools', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-inspect-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a GPT made by sgdisk, with types and names, also through zstd', async () => {
    const img = join(dir, 'gpt.img');
    await writeFile(img, Buffer.alloc(16 << 20));
    execFileSync('sgdisk', ['-n', '1:2048:6143', '-t', '1:ef00', '-c', '1:EFI', '-n', '2:6144:0', '-t', '2:8300', '-c', '2:MACULAOS_STATE', img], { stdio: 'ignore' });
    execFileSync('zstd', ['-q', '-k', img]);
    for (const path of [img, `${img}.zst`]) {
      const report = await inspectImage(path, { hash: false });
      expect(report.layout).toBe('gpt');
      expect(report.partitionTable?.type).toBe('gpt');
      expect(report.partitionTable?.partitions.map((p) => ({ offset: p.offset, name: p.name, type: p.type.toUpperCase() }))).toEqual([
        { offset: 2048 * 512, name: 'EFI', type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B' },
        { offset: 6144 * 512, name: 'MACULAOS_STATE', type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' },
      ]);
    }
  });

  it('names an ISO 9660 volume made by xorriso', async () => {
    const root = join(dir, 'iso-root');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'version.txt'), '0.1.0\n');
    const iso = join(dir, 'macula.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'MACULAOS', '-o', iso, root], { stdio: 'ignore' });
    const report = await inspectImage(iso, { hash: false });
    expect(report).toMatchObject({ layout: 'iso9660', volumeId: 'MACULAOS', compression: 'none' });
  });
});
