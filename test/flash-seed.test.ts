import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Seed } from '../shared/seed';
import { parseSeedYaml } from '../shared/seed-yaml';
import { macula } from './helpers/cli';
import { Loops, sh } from './helpers/loops';
import { type OsImage, grubHybridIso, rpiStyleImage } from './helpers/os-images';

/**
 * `macula flash --seed` end to end on real loop devices: the image is written, a MACULAOS_STATE partition is added
 * after it with the seed inside, and the system tools (sfdisk, sgdisk, blkid, e2fsck, debugfs, fsck.vfat, mount)
 * inspect the result.
 */

const root = process.getuid?.() === 0;
const MiB = 1 << 20;
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJY5j9GcVBBfM/84ACor2lGlZZ0gfNFdLbCMa+yY/kvD ops@example';
const TOKEN = 'enroll-3f9c1a7e5b2d4c6e8a0b1c2d3e4f5a6b';

const SEED_YAML = `#cloud-config
hostname: e2e-node-1
ssh_authorized_keys:
  - ${ED25519}
maculaos:
  timezone: Europe/Amsterdam
  keyboard: us
  locale: en_US.UTF-8
  mesh:
    bootstrap: false
    relay: true
  portal:
    url: https://portal.example.com
    enrollment_token: ${TOKEN}
`;

let dir: string;
const loops = new Loops();

async function sha256(path: string, length?: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const size = length ?? (await handle.stat()).size;
    const buffer = Buffer.alloc(4 * MiB);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - at), at);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

async function range(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** A loop device over a sparse file of `size` bytes, filled with a recognisable pattern (so "untouched" means something). */
async function target(name: string, size: number): Promise<string> {
  const file = join(dir, name);
  const device = await loops.create(file, size);
  await sh('sh', ['-c', `yes macula-old-content | head -c ${size} > "$1"`, 'sh', device]);
  return device;
}

interface SfdiskPartition {
  readonly node: string;
  readonly start: number;
  readonly size: number;
  readonly type: string;
  readonly name?: string;
}

async function sfdisk(device: string): Promise<{ label: string; partitions: SfdiskPartition[] }> {
  return (JSON.parse(await sh('sfdisk', ['-J', device])) as { partitiontable: { label: string; partitions: SfdiskPartition[] } }).partitiontable;
}

/** The seed read back from a flashed device's state partition with debugfs (exposed with `partx -a`). */
async function readSeed(device: string, number: number): Promise<{ seed: Seed; stat: string; text: string }> {
  const part = `${device}p${number}`;
  const text = await sh('debugfs', ['-R', 'cat /macula/system/config.yaml', part]);
  const stat = await sh('debugfs', ['-R', 'stat /macula/system/config.yaml', part]);
  return { seed: parseSeedYaml(text, part), stat, text };
}

/** Everything the issue asks the system tools to see on a seeded target. */
async function expectSeededTarget(device: string, image: OsImage, stateNumber: number): Promise<Seed> {
  expect(await sh('sfdisk', ['-d', device])).toContain(`${device}p${stateNumber}`);
  const verify = await sh('sgdisk', ['-v', device]);
  expect(verify).toContain('No problems found');
  await sh('partx', ['-a', device]).catch(() => sh('partx', ['-u', device]));
  const part = `${device}p${stateNumber}`;
  expect(await sh('blkid', [part])).toMatch(/LABEL="MACULAOS_STATE".*TYPE="ext4"/);
  const fsck = await sh('e2fsck', ['-fn', part]);
  expect(fsck).toMatch(/MACULAOS_STATE: \d+\/\d+ files/);
  const { seed, stat: st } = await readSeed(device, stateNumber);
  expect(st).toMatch(/Mode:\s+0600/);
  expect(st).toMatch(/User:\s+0\s+Group:\s+0/);
  expect(await sh('debugfs', ['-R', 'stat /macula/system/growpart', part])).toMatch(/Type: regular/);
  for (const p of image.partitions) {
    const original = createHash('sha256').update(await range(image.path, p.offset, p.size)).digest('hex');
    const written = createHash('sha256').update(await range(device, p.offset, p.size)).digest('hex');
    expect(written, `partition ${p.number} of the image`).toBe(original);
  }
  return seed;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'macula-flash-seed-'));
});
afterEach(async () => {
  await loops.cleanup();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!root)('macula flash --seed on real loop devices (root)', () => {
  it('seeds an RPi-style image: new 0x83 partition, ext4 MACULAOS_STATE, the asked seed in 0600, image intact', async () => {
    const image = await rpiStyleImage(dir);
    const before = await sha256(image.path);
    const seedFile = join(dir, 'seed.yaml');
    await writeFile(seedFile, SEED_YAML);
    const device = await target('rpi-target.img', 256 * MiB);
    const run = await macula(['flash', image.path, '--to', device, '--seed', seedFile, '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = run.events.find((e) => e['event'] === 'target');
    expect(result).toMatchObject({ ok: true, verified: true, state: { table: 'mbr', partition: 3 } });
    // No secret reaches the output.
    expect(run.stdout + run.stderr).not.toContain(TOKEN);

    const table = await sfdisk(device);
    expect(table.label).toBe('dos');
    expect(table.partitions.map((p) => p.type)).toEqual(['e', '83', '83']);
    const seed = await expectSeededTarget(device, image, 3);
    const asked = parseSeedYaml(SEED_YAML, 'asked');
    const pairing = seed.maculaos.pairing;
    expect(pairing?.node_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(pairing?.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(seed).toEqual({ ...asked, maculaos: { ...asked.maculaos, pairing } });
    expect((result?.['seed'] as { nodeId: string }).nodeId).toBe(pairing?.node_id);
    // The node is in the fleet inventory for `macula pair`, its key in a 0600 file and nowhere in the output.
    expect(run.events.find((e) => e['event'] === 'recorded')).toMatchObject({ nodeId: pairing?.node_id });
    const fleet = await macula(['fleet', '--json']);
    expect(fleet.stdout).toContain(pairing?.node_id ?? 'no node id');
    expect(fleet.stdout).not.toContain(pairing?.key ?? 'no key');
    expect(run.stdout).not.toContain(pairing?.key ?? 'no key');

    expect(await sh('fsck.vfat', ['-n', `${device}p1`])).toMatch(/files/);
    expect(await sh('e2fsck', ['-fn', `${device}p2`])).toMatch(/rootfs: \d+\/\d+ files/);
    expect(await sha256(image.path)).toBe(before);

    // `macula seed show` finds it again, secrets masked.
    const shown = await macula(['seed', 'show', device]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('hostname: e2e-node-1');
    expect(shown.stdout).not.toContain(TOKEN);
  });

  it('seeds a multi-Block .xz (written out of order) and records the node, also with --no-verify', async () => {
    const image = await rpiStyleImage(dir, 'rpi-xz.img');
    const packed = `${image.path}.xz`;
    // Block ends off the chunks and sectors: chunk 0, patched with the new table, holds parts of two Blocks.
    await sh('sh', ['-c', 'xz -T1 -0 --block-list=1000000,3333333,7777777 -c "$1" > "$2"', 'sh', image.path, packed]);
    const imageSha = await sha256(image.path);
    const seedFile = join(dir, 'seed-xz.yaml');
    await writeFile(seedFile, SEED_YAML);
    for (const flags of [[], ['--no-verify']]) {
      const device = await target(`xz-target${flags.length}.img`, 256 * MiB);
      const run = await macula(['flash', packed, '--to', device, '--seed', seedFile, '--yes', '--json', ...flags]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ ok: true, verified: flags.length === 0, state: { table: 'mbr', partition: 3 } });
      // The image's SHA-256 comes from the read-back (nothing read the image in order), with the target's table sectors
      // put back to the image's; without verification the seeded target is still read back for it, to record the node.
      expect(run.events.find((e) => e['event'] === 'flashed')).toMatchObject({ sha256: imageSha });
      expect(run.events.find((e) => e['event'] === 'recorded')).toMatchObject({ nodeId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      await expectSeededTarget(device, image, 3);
    }
  });

  it('seeds a grub-mkrescue hybrid ISO: GPT entry MACULAOS_STATE, backup GPT at the end, ISO still reads', async () => {
    const image = await grubHybridIso(dir);
    const before = await sha256(image.path);
    const device = await target('iso-target.img', 200 * MiB);
    const run = await macula(['flash', image.path, '--to', device, '--hostname', 'iso-node', '--timezone', 'UTC', '--mesh-role', 'bootstrap', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/warning: .*bootstrap.*public/i);
    const table = await sfdisk(device);
    expect(table.label).toBe('gpt');
    const state = table.partitions[table.partitions.length - 1];
    expect(state?.name).toBe('MACULAOS_STATE');
    const number = table.partitions.length;
    const seed = await expectSeededTarget(device, image, number);
    expect(seed.hostname).toBe('iso-node');
    expect(seed.maculaos.mesh).toEqual({ bootstrap: true, relay: false });

    // The ISO 9660 filesystem still reads (this kernel has no iso9660 driver to mount it: xorriso reads it instead).
    const extracted = join(dir, 'payload-read-back.txt');
    await sh('xorriso', ['-osirrox', 'on', '-indev', `stdio:${device}`, '-extract', '/payload.txt', extracted]);
    expect(await readFile(extracted, 'utf8')).toBe(image.payload);
    expect((await sh('blkid', ['-p', '-o', 'value', '-s', 'LABEL', device])).trim()).toBe('MACULAOS');
    expect(await sha256(image.path)).toBe(before);
  });

  it('gives each of three targets flashed at once its own hostname, node id and key', async () => {
    const image = await rpiStyleImage(dir, 'rpi-three.img');
    const devices = [await target('t1.img', 160 * MiB), await target('t2.img', 160 * MiB), await target('t3.img', 200 * MiB)];
    const run = await macula(['flash', image.path, ...devices.flatMap((d) => ['--to', d]), '--hostname', 'edge-{nn}', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const seeds = [];
    for (const device of devices) {
      await sh('partx', ['-a', device]);
      seeds.push((await readSeed(device, 3)).seed);
    }
    expect(seeds.map((s) => s.hostname)).toEqual(['edge-01', 'edge-02', 'edge-03']);
    expect(new Set(seeds.map((s) => s.maculaos.pairing?.node_id)).size).toBe(3);
    expect(new Set(seeds.map((s) => s.maculaos.pairing?.key)).size).toBe(3);
    const uuids = await Promise.all(devices.map((d) => sh('blkid', ['-o', 'value', '-s', 'UUID', `${d}p3`])));
    expect(new Set(uuids.map((u) => u.trim())).size).toBe(3);
  });

  describe('refuses a bad seed before writing a byte, naming the field', () => {
    const cases: [string, string, RegExp][] = [
      ['a bad hostname', SEED_YAML.replace('hostname: e2e-node-1', 'hostname: -bad_name-'), /hostname/],
      ['an unknown time zone', SEED_YAML.replace('Europe/Amsterdam', 'Mars/Olympus'), /maculaos\.timezone: unknown time zone "Mars\/Olympus"/],
      ['an unknown mesh role', SEED_YAML.replace('relay: true', 'relay: true\n    gateway: true'), /maculaos\.mesh/],
      ['an oversize file', `${SEED_YAML}write_files:\n  - path: /etc/big\n    content: ${'x'.repeat(1024 * 1024 + 1)}\n`, /write_files\[0\]\.content/],
      ['malformed YAML', SEED_YAML.replace(`enrollment_token: ${TOKEN}`, `enrollment_token: ${TOKEN}: x`), /line \d+/],
      ['a {serial} template for a drive without a serial number', SEED_YAML.replace('hostname: e2e-node-1', 'hostname: node-{serial}'), /hostname: "node-\{serial\}" uses \{serial\} but target 1 has no serial number/],
    ];
    it.each(cases)('%s', async (_what, yaml, message) => {
      const image = join(dir, 'small.img');
      await sh('sh', ['-c', `head -c ${8 * MiB} /dev/urandom > "$1" && printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q "$1"`, 'sh', image]);
      const device = await target('refused.img', 96 * MiB);
      const before = await sha256(device);
      const seedFile = join(dir, 'bad-seed.yaml');
      await writeFile(seedFile, yaml);
      const run = await macula(['flash', image, '--to', device, '--seed', seedFile, '--yes']);
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain(TOKEN);
      expect(await sha256(device)).toBe(before);
    });
  });

  it('writes the image without a seed where there is no room, says so clearly, and leaves a whole image', async () => {
    const image = await rpiStyleImage(dir, 'rpi-tight.img');
    const device = await target('tight.img', (52 + 40) * MiB);
    const run = await macula(['flash', image.path, '--to', device, '--hostname', 'tight', '--yes']);
    expect(run.code).toBe(6);
    expect(run.stdout + run.stderr).toMatch(/written and verified but NOT seeded: no room for the MACULAOS_STATE partition.*needs 64 MiB/);
    const { size } = await stat(image.path);
    expect(await sha256(device, size)).toBe(await sha256(image.path));
    expect((await sfdisk(device)).partitions).toHaveLength(2);
  });
});
