import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedToYaml } from '../shared/seed-yaml';
import { validateSeed } from '../shared/seed';
import { buildStateFilesystem } from '../electron/engine/seed/state-filesystem';
import { macula } from './helpers/cli';
import { LoopLab } from './helpers/loop-device';

const MiB = 1 << 20;
const TOKEN = 'enroll-token-never-printed-9f3a';

describe.skipIf(process.getuid?.() !== 0)('macula seed show on a real loop device (root)', () => {
  let lab: LoopLab;
  beforeAll(() => {
    lab = new LoopLab();
  });
  afterEach(() => lab.cleanup());
  afterAll(() => lab.dispose());

  it('finds MACULAOS_STATE by its ext4 label and prints the seed with secrets masked, without mounting', async () => {
    // An image-like disk: an ext4 root that is NOT the state partition, then the seeded state filesystem at 10 MiB.
    const loop = lab.create({ sizeMiB: 96, partitions: 'label: dos\n1MiB,8MiB,83\n10MiB,,83\n' });
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'rootfs', loop.partitions[0]!]);
    const seed = validateSeed(
      { hostname: 'e2e-node-1', maculaos: { timezone: 'Europe/Lisbon', portal: { url: 'https://portal.macula.io', enrollment_token: TOKEN } } },
      'test',
    );
    const fs = await buildStateFilesystem({ configYaml: seedToYaml(seed), uuid: '4f1c2b3a-0000-4000-8000-00000000abcd' });
    const dev = await open(loop.device, 'r+');
    await dev.write(fs, 0, fs.length, 10 * MiB);
    await dev.close();

    const run = await macula(['seed', 'show', loop.device, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.events[0]).toMatchObject({
      event: 'seed',
      partition: 2,
      offset: 10 * MiB,
      mode: '0600',
      uid: 0,
      gid: 0,
      growpart: true,
      uuid: '4f1c2b3a-0000-4000-8000-00000000abcd',
      seed: { hostname: 'e2e-node-1', maculaos: { timezone: 'Europe/Lisbon' } },
    });
    expect(run.stdout).not.toContain(TOKEN);
    const text = await macula(['seed', 'show', loop.device]);
    expect(text.stdout).toMatch(/MACULAOS_STATE on partition 2/);
    expect(text.stdout).not.toContain(TOKEN);
  });

  it('says clearly when a target carries no seed (exit 5)', async () => {
    const loop = lab.create({ sizeMiB: 32, partitions: 'label: dos\n1MiB,,83\n' });
    const run = await macula(['seed', 'show', loop.device]);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/no MACULAOS_STATE partition/);
  });
});
