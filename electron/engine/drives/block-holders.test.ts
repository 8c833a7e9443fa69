import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { holderUses, mountsAbove, volumeGroupOfDmName } from './block-holders';

/**
 * md and device-mapper cannot be set up on the test machines (no md driver, no device-mapper), so these stacks are
 * laid out as sysfs shows them (Documentation/ABI/stable/sysfs-block: `holders/`, `dev`, `dm/name`, `dm/uuid`) in a
 * tree of the test's own, which the reader takes as its sysfs root.
 */
describe('sysfs holders (fake sysfs tree)', () => {
  let sys: string;
  beforeEach(() => {
    sys = mkdtempSync(join(tmpdir(), 'macula-fake-sys-'));
  });
  afterEach(() => rmSync(sys, { recursive: true, force: true }));

  function dev(name: string, devNo: string, files: Record<string, string> = {}, holders: string[] = []): void {
    const dir = join(sys, 'class', 'block', name);
    mkdirSync(join(dir, 'holders'), { recursive: true });
    writeFileSync(join(dir, 'dev'), `${devNo}\n`);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), `${text}\n`);
    }
    for (const h of holders) mkdirSync(join(dir, 'holders', h));
  }

  it('names the md array a partition is a member of', async () => {
    dev('sdb', '8:16');
    dev('sdb1', '8:17', {}, ['md127']);
    dev('md127', '9:127');
    expect(await holderUses(['sdb', 'sdb1'], new Map(), sys)).toEqual([{ kind: 'md', array: 'md127' }]);
  });

  it('names the volume group of an active LVM physical volume, mounted or not', async () => {
    dev('sdc', '8:32', {}, ['dm-0', 'dm-1']);
    dev('dm-0', '253:0', { 'dm/name': 'my--vg-root', 'dm/uuid': 'LVM-3kB0xVjJ3kB0xVjJ3kB0xVjJ3kB0xVjJabcdefabcdefabcdefabcdefabcdefab' });
    dev('dm-1', '253:1', { 'dm/name': 'my--vg-swap', 'dm/uuid': 'LVM-3kB0xVjJ3kB0xVjJ3kB0xVjJ3kB0xVjJzyxwvuzyxwvuzyxwvuzyxwvuzyxwvuzy' });
    const uses = await holderUses(['sdc'], new Map(), sys);
    expect(uses).toEqual([
      { kind: 'lvm', volumeGroup: 'my-vg' },
      { kind: 'lvm', volumeGroup: 'my-vg' },
    ]);
  });

  it('names where an open LUKS container is mounted, also through LVM inside it, and ignores one nothing uses', async () => {
    dev('sdd', '8:48');
    dev('sdd1', '8:49', {}, ['dm-2']);
    dev('sdd2', '8:50', {}, ['dm-3']);
    dev('sdd3', '8:51', {}, ['dm-5']);
    dev('dm-2', '253:2', { 'dm/name': 'luks-home', 'dm/uuid': 'CRYPT-LUKS2-0123456789abcdef0123456789abcdef-luks-home' });
    dev('dm-3', '253:3', { 'dm/name': 'cryptdata', 'dm/uuid': 'CRYPT-LUKS1-fedcba9876543210fedcba9876543210-cryptdata' }, ['dm-4']);
    dev('dm-4', '253:4', { 'dm/name': 'data-srv', 'dm/uuid': 'LVM-abcabcabcabcabcabcabcabcabcabcabdefdefdefdefdefdefdefdefdefdefdef' });
    dev('dm-5', '253:5', { 'dm/name': 'spare', 'dm/uuid': 'CRYPT-LUKS2-00000000000000000000000000000000-spare' });
    const mounts = new Map([
      ['253:2', ['/home']],
      ['253:4', ['/srv', '/srv/backup']],
    ]);
    expect(await mountsAbove('dm-3', mounts, sys)).toEqual(['/srv', '/srv/backup']);
    expect(await holderUses(['sdd', 'sdd1', 'sdd2', 'sdd3'], mounts, sys)).toEqual([
      { kind: 'luks', mountPoints: ['/home'] },
      { kind: 'luks', mountPoints: ['/srv', '/srv/backup'] },
    ]);
  });

  it('reports any other holder (bcache, a plain dm table) by name, and nothing for a disk without holders', async () => {
    dev('sde', '8:64', {}, ['bcache0', 'dm-6']);
    dev('bcache0', '252:0');
    dev('dm-6', '253:6', { 'dm/name': 'mpatha', 'dm/uuid': 'mpath-3600508b400105e210000900000490000' });
    dev('sdf', '8:80');
    expect(await holderUses(['sde'], new Map(), sys)).toEqual([
      { kind: 'holder', holder: 'bcache0' },
      { kind: 'holder', holder: 'dm-6 (mpatha)' },
    ]);
    expect(await holderUses(['sdf', 'sdf1'], new Map(), sys)).toEqual([]);
  });

  it('undoes LVM’s doubled dashes to find the volume group in a device-mapper name', () => {
    expect(volumeGroupOfDmName('vg0-root')).toBe('vg0');
    expect(volumeGroupOfDmName('my--vg-my--lv')).toBe('my-vg');
    expect(volumeGroupOfDmName('a--b--c-lv')).toBe('a-b-c');
    expect(volumeGroupOfDmName('nodash')).toBeNull();
  });
});
