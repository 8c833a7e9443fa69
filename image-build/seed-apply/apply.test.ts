import { lstat, mkdtemp, readFile, readlink, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from './apply';
import type { SeedPlan } from './plan';

/** applyPlan under a scratch root (never live: the running kernel's name is not touched). */
describe('applyPlan', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'seed-apply-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes files with their mode, makes links and removes what the seed no longer asks for', async () => {
    await mkdir(join(root, 'etc/wpa_supplicant'), { recursive: true });
    await writeFile(join(root, 'etc/wpa_supplicant/maculaos.conf'), 'old network');
    const plan: SeedPlan = {
      hostname: undefined,
      summary: {},
      notes: [],
      changes: [
        { kind: 'file', path: '/etc/rancher/k3s/config.yaml', content: 'token: "t"\n', mode: 0o600 },
        { kind: 'link', path: '/etc/localtime', target: '/usr/share/zoneinfo/UTC' },
        { kind: 'remove', path: '/etc/wpa_supplicant/maculaos.conf' },
        { kind: 'remove', path: '/etc/systemd/timesyncd.conf.d/50-maculaos-seed.conf' },
      ],
    };
    await applyPlan(plan, root, false);
    expect((await stat(join(root, 'etc/rancher/k3s/config.yaml'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(root, 'etc/rancher/k3s/config.yaml'), 'utf8')).toBe('token: "t"\n');
    expect(await readlink(join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
    await expect(lstat(join(root, 'etc/wpa_supplicant/maculaos.conf'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
