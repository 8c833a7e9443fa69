import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decompress } from 'zstd-napi';
import { isMaculaError } from '../shared/errors';
import { assetPath } from '../electron/engine/assets';
import { readSuperblock, setSuperblockUuid } from '../electron/engine/seed/ext4-superblock';
import { readStateConfig } from '../electron/engine/seed/read-state';
import {
  buildStateFilesystem,
  loadStateTemplate,
  MAX_STATE_CONFIG_BYTES,
  STATE_TEMPLATE_ASSET,
} from '../electron/engine/seed/state-filesystem';
import { sh } from './helpers/loops';

const run = promisify(execFile);
const MiB = 1 << 20;
const UUID_A = '0b7e4c1a-5d2f-4e8b-9a31-6c0d2e7f8a91';
const UUID_B = 'f3a9d0c2-1b4e-4f6a-8c7d-2e5b9a0c1d3e';
/** The ext4 superblock fields a new UUID may change (ext4 disk layout, "Super Block"): s_uuid and s_checksum. */
const SB = 1024;
const UUID_FIELD = [SB + 0x68, SB + 0x78] as const;
const CHECKSUM_FIELD = [SB + 0x3fc, SB + 0x400] as const;

/** A multi-KiB seed with non-ASCII text, longer than one 4 KiB block, so it spans several blocks. */
const YAML = [
  'hostname: macula-01',
  'ssh_authorized_keys:',
  ...Array.from({ length: 80 }, (_, i) => `  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${'x'.repeat(40)}${i} user${i}@höst`),
  'maculaos:',
  '  timezone: Europe/Zürich',
  '  locale: ja_JP.UTF-8 # 日本語のロケール',
  '  keyboard: de',
  '  portal:',
  '    url: https://portal.example',
  '    enrollment_token: "tök-🔑-secret"',
  '',
].join('\n');

async function debugfs(file: string, request: string): Promise<Buffer> {
  const { stdout } = await run('debugfs', ['-R', request, file], { encoding: 'buffer', maxBuffer: 1 << 24 });
  return stdout;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Offsets at which two equally long buffers differ. */
function differingOffsets(a: Buffer, b: Buffer): number[] {
  expect(a.length).toBe(b.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

const within = (offset: number, [start, end]: readonly [number, number]): boolean => offset >= start && offset < end;

describe('a new filesystem UUID, without libext2fs', () => {
  it('takes a new UUID as tune2fs -U would: s_uuid and the superblock checksum, valid for e2fsck and blkid', async () => {
    const fs = await loadStateTemplate();
    setSuperblockUuid(fs, UUID_B);
    const file = join(await mkdtemp(join(tmpdir(), 'macula-uuid-')), 'uuid-only.ext4');
    await writeFile(file, fs);
    await sh('e2fsck', ['-fn', file]);
    expect((await sh('blkid', ['-p', '-o', 'export', file])).split('\n')).toContain(`UUID=${UUID_B}`);
    expect(readSuperblock(fs).uuid).toBe(UUID_B);
    await rm(dirname(file), { recursive: true, force: true });
  });
});

describe('the MACULAOS_STATE filesystem, made without mounting', () => {
  let dir: string;
  let seeded: string;
  let seededBytes: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-state-'));
    seededBytes = await buildStateFilesystem({ configYaml: YAML, uuid: UUID_A });
    seeded = join(dir, 'state.ext4');
    await writeFile(seeded, seededBytes);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('is a clean ext4 filesystem labelled MACULAOS_STATE with the UUID asked for', async () => {
    expect(YAML.length).toBeGreaterThan(4096);
    await sh('e2fsck', ['-fn', seeded]); // rejects on any exit code but 0
    const blkid = (await sh('blkid', ['-p', '-o', 'export', seeded])).split('\n');
    expect(blkid).toContain('LABEL=MACULAOS_STATE');
    expect(blkid).toContain('TYPE=ext4');
    expect(blkid).toContain(`UUID=${UUID_A}`);
  });

  it('holds config.yaml with mode 0600, owner root, and exactly the YAML given', async () => {
    const stat = (await debugfs(seeded, 'stat /macula/system/config.yaml')).toString();
    expect(stat).toMatch(/Type: regular\s+Mode:\s+0600\s/);
    expect(stat).toMatch(/User:\s+0\s+Group:\s+0\s/);
    const text = await debugfs(seeded, 'cat /macula/system/config.yaml');
    expect(text.equals(Buffer.from(YAML, 'utf8'))).toBe(true);
  });

  it('holds the empty growpart marker', async () => {
    const stat = (await debugfs(seeded, 'stat /macula/system/growpart')).toString();
    expect(stat).toMatch(/Type: regular\s+Mode:\s+0644\s/);
    expect(stat).toMatch(/Size: 0\s/);
    const list = (await debugfs(seeded, 'ls -l /macula/system')).toString();
    expect(list).toMatch(/\s40700 .* \.\n/);
  });

  it('gives each build its own random UUID when none is asked for', async () => {
    const uuids = await Promise.all(
      [1, 2].map(async (n) => {
        const file = join(dir, `random-${n}.ext4`);
        await writeFile(file, await buildStateFilesystem({ configYaml: YAML }));
        await sh('e2fsck', ['-fn', file]);
        const line = (await sh('blkid', ['-p', '-o', 'export', file])).split('\n').find((l) => l.startsWith('UUID='));
        return line?.slice('UUID='.length);
      }),
    );
    expect(uuids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuids[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(uuids[0]).not.toBe(uuids[1]);
  });

  it('reads the seed back from a buffer and from a file at an offset, without writing to either', async () => {
    const before = sha256(seededBytes);
    const fromBuffer = await readStateConfig(seededBytes);
    expect(fromBuffer).toEqual({
      text: YAML,
      mode: 0o600,
      uid: 0,
      gid: 0,
      growpart: true,
      label: 'MACULAOS_STATE',
      uuid: UUID_A,
    });
    expect(sha256(seededBytes)).toBe(before);

    // As on a target: the filesystem 1 MiB into a larger file, random bytes before it.
    const disk = join(dir, 'disk.img');
    await writeFile(disk, Buffer.concat([Buffer.alloc(MiB, 0xa5), seededBytes]));
    await truncate(disk, 80 * MiB);
    const diskBefore = sha256(await readFile(disk));
    const fromFile = await readStateConfig({ path: disk, offset: MiB });
    expect(fromFile.text).toBe(YAML);
    expect(fromFile.mode).toBe(0o600);
    expect(fromFile.uuid).toBe(UUID_A);
    expect(sha256(await readFile(disk))).toBe(diskBefore);
  });

  it('seeds several filesystems at once, each with its own content', async () => {
    const yamls = [1, 2, 3].map((n) => `hostname: macula-${n}\n${'# padding\n'.repeat(n * 300)}`);
    const built = await Promise.all(yamls.map((configYaml) => buildStateFilesystem({ configYaml })));
    const back = await Promise.all(built.map((fs) => readStateConfig(fs)));
    expect(back.map((b) => b.text)).toEqual(yamls);
    expect(new Set(back.map((b) => b.uuid)).size).toBe(3);
  });

  it('takes the largest seed allowed, written and read in chunks the WebAssembly heap can hold', async () => {
    const big = `#${'é'.repeat(MAX_STATE_CONFIG_BYTES / 2 - 1)}\n`;
    expect(Buffer.byteLength(big)).toBe(MAX_STATE_CONFIG_BYTES);
    const fs = await buildStateFilesystem({ configYaml: big });
    expect((await readStateConfig(fs)).text).toBe(big);
    const file = join(dir, 'big.ext4');
    await writeFile(file, fs);
    await sh('e2fsck', ['-fn', file]);
  });

  it('is deterministic: with the clock fixed, two builds differ only in the UUID and the superblock checksum', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T12:00:00Z') });
    const a1 = await buildStateFilesystem({ configYaml: YAML, uuid: UUID_A });
    const a2 = await buildStateFilesystem({ configYaml: YAML, uuid: UUID_A });
    const b = await buildStateFilesystem({ configYaml: YAML, uuid: UUID_B });
    expect(differingOffsets(a1, a2)).toEqual([]);
    const diff = differingOffsets(a1, b);
    expect(diff.some((o) => within(o, UUID_FIELD))).toBe(true);
    expect(diff.filter((o) => !within(o, UUID_FIELD) && !within(o, CHECKSUM_FIELD))).toEqual([]);
  });

  it('stays clean when the node grows it to its partition (resize2fs, as on first boot)', async () => {
    const grown = join(dir, 'grown.ext4');
    await writeFile(grown, seededBytes);
    await truncate(grown, 2048 * MiB);
    await sh('resize2fs', [grown]);
    await sh('e2fsck', ['-fn', grown]);
    const back = await readStateConfig({ path: grown });
    expect(back.text).toBe(YAML);
    expect(back.uuid).toBe(UUID_A);
  });

  it('refuses a malformed UUID, a seed too large for the filesystem, and a buffer holding no ext4', async () => {
    const bad = await buildStateFilesystem({ configYaml: YAML, uuid: 'not-a-uuid' }).catch((e: unknown) => e);
    expect(isMaculaError(bad, 'ERR_USAGE')).toBe(true);
    const huge = await buildStateFilesystem({ configYaml: 'x'.repeat(17 * MiB) }).catch((e: unknown) => e);
    expect(isMaculaError(huge, 'ERR_NO_SPACE')).toBe(true);
    const none = await readStateConfig(Buffer.alloc(64 * 1024)).catch((e: unknown) => e);
    expect(isMaculaError(none, 'ERR_FORMAT_UNKNOWN')).toBe(true);
    const unseeded = await readStateConfig(await loadStateTemplate()).catch((e: unknown) => e);
    expect(isMaculaError(unseeded, 'ERR_IO')).toBe(true);
    expect((unseeded as Error).message).toContain('/macula/system/config.yaml');
  });
});

describe('image-build/state-template/build.sh', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-state-template-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reproduces the committed template byte for byte', async () => {
    const out = join(dir, 'state-template.ext4.zst');
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['SOURCE_DATE_EPOCH'];
    await run('bash', ['image-build/state-template/build.sh', out], { cwd: process.cwd(), env });
    const committed = await readFile(assetPath(STATE_TEMPLATE_ASSET));
    const rebuilt = await readFile(out);
    // The filesystem is the claim; the .zst also matches with the same zstd release (other releases may pack it
    // differently, which would show here and be fixed by re-running the script).
    expect(sha256(decompress(rebuilt))).toBe(sha256(decompress(committed)));
    expect(sha256(rebuilt)).toBe(sha256(committed));
    expect(committed.length).toBeLessThan(64 * 1024);
  });

  it('makes an empty, clean MACULAOS_STATE ext4 of 16 MiB with /macula/system (0700, root) and metadata_csum_seed', async () => {
    const image = join(dir, 'template.ext4');
    await writeFile(image, decompress(await readFile(assetPath(STATE_TEMPLATE_ASSET))));
    await sh('e2fsck', ['-fn', image]);
    const header = await sh('dumpe2fs', ['-h', image]);
    expect(header).toMatch(/Filesystem volume name:\s+MACULAOS_STATE\n/);
    expect(header).toMatch(/Filesystem features:.*\bmetadata_csum_seed\b/);
    expect(header).toMatch(/Filesystem features:.*\bhas_journal\b/);
    expect(header).toMatch(/Block count:\s+4096\n/);
    expect(header).toMatch(/Block size:\s+4096\n/);
    const stat = (await debugfs(image, 'stat /macula/system')).toString();
    expect(stat).toMatch(/Type: directory\s+Mode:\s+0700\s/);
    expect(stat).toMatch(/User:\s+0\s+Group:\s+0\s/);
    expect((await debugfs(image, 'ls /macula/system')).toString()).not.toContain('config.yaml');
  });
});
