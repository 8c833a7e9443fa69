import { lstat, mkdtemp, readFile, readlink, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from './apply';
import { parseSeedYaml } from '../../shared/seed-yaml';
import type { Change, SeedPlan } from './plan';
import { planSeed } from './plan';
import { seedReport } from './report';

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
    const changes: Change[] = [
      { kind: 'file', path: '/etc/rancher/k3s/config.yaml', content: 'token: "t"\n', mode: 0o600 },
      { kind: 'link', path: '/etc/localtime', target: '/usr/share/zoneinfo/UTC' },
      { kind: 'remove', path: '/etc/wpa_supplicant/maculaos.conf' },
      { kind: 'remove', path: '/etc/systemd/timesyncd.conf.d/50-maculaos-seed.conf' },
    ];
    const plan: SeedPlan = { hostname: undefined, summary: {}, notes: [], changes, parts: [{ key: 'k3s', asked: true, changes }] };
    expect(await applyPlan(plan, root, false)).toEqual([{ key: 'k3s', status: 'applied' }]);
    expect((await stat(join(root, 'etc/rancher/k3s/config.yaml'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(root, 'etc/rancher/k3s/config.yaml'), 'utf8')).toBe('token: "t"\n');
    expect(await readlink(join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
    await expect(lstat(join(root, 'etc/wpa_supplicant/maculaos.conf'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports each setting: a failing one with its reason (root taken out), the others applied or not applicable', async () => {
    const seed = parseSeedYaml(
      [
        '#cloud-config',
        'hostname: report-node',
        'write_files:',
        // /etc/hostname is a file, so nothing can be written under it: fails on purpose.
        '  - path: /etc/hostname/oops',
        '    content: "x"',
        'maculaos:',
        '  timezone: UTC',
        '  wifi:',
        '    - ssid: lab',
        '      psk: "correct horse battery"',
        '',
      ].join('\n'),
      'test',
    );
    const entries = await applyPlan(planSeed(seed, '/run/maculaos'), root, false);
    // No wireless interface in this (empty) sysfs: Wi-Fi was written but cannot work.
    const report = await seedReport(entries, new Date(), join(root, 'no-sys'));
    const byKey = Object.fromEntries(report.entries.map((e) => [e.key, e]));
    expect(byKey['hostname']).toEqual({ key: 'hostname', status: 'applied' });
    expect(byKey['timezone']).toEqual({ key: 'timezone', status: 'applied' });
    expect(byKey['keyboard']).toEqual({ key: 'keyboard', status: 'not_applicable' });
    expect(byKey['write_files']).toMatchObject({ status: 'failed', reason: expect.stringMatching(/(EEXIST|ENOTDIR).*'\/etc\/hostname'/) });
    expect(JSON.stringify(byKey['write_files'])).not.toContain(root);
    expect(byKey['wifi']).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no wireless interface/) });
    expect(await readFile(join(root, 'etc/hostname'), 'utf8')).toBe('report-node\n');
  });
});
