import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseUdevData, signatureUses } from './signatures';
import { parseBlkidExport } from './util-linux';

describe('on-disk signatures (udev database, blkid)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'macula-udev-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the filesystem type and label from a udev database entry', () => {
    expect(parseUdevData('S:disk/by-label/tank\nE:ID_FS_LABEL=tank\nE:ID_FS_TYPE=zfs_member\nG:systemd\n')).toEqual({ type: 'zfs_member', label: 'tank' });
    expect(parseUdevData('S:disk/by-id/usb-stick\n')).toEqual({ type: undefined, label: undefined });
  });

  it('reads blkid -o export, shell escapes undone', () => {
    expect(parseBlkidExport('DEVNAME=/dev/loop0\nUUID=2VOvU3-6GEY\nVERSION=LVM2\\ 001\nTYPE=LVM2_member\nUSAGE=raid\n')).toEqual({
      DEVNAME: '/dev/loop0',
      UUID: '2VOvU3-6GEY',
      VERSION: 'LVM2 001',
      TYPE: 'LVM2_member',
      USAGE: 'raid',
    });
  });

  it('refuses a ZFS pool member by the label udev recorded, naming the pool; other signatures say nothing', async () => {
    // No ZFS on the test machines to make a pool: the udev entry it would leave is laid out for a real device instead.
    const name = readdirSync('/sys/class/block')[0] ?? '';
    const devNo = readFileSync(`/sys/class/block/${name}/dev`, 'utf8').trim();
    const udev = join(dir, 'data');
    mkdirSync(udev);
    writeFileSync(join(udev, `b${devNo}`), 'E:ID_FS_LABEL=tank\nE:ID_FS_TYPE=zfs_member\nE:ID_FS_USAGE=filesystem\n');
    expect(await signatureUses([name], udev)).toEqual([{ kind: 'zfs', pool: 'tank' }]);
    writeFileSync(join(udev, `b${devNo}`), 'E:ID_FS_TYPE=zfs_member\n');
    expect(await signatureUses([name], udev)).toEqual([{ kind: 'zfs', pool: null }]);
    writeFileSync(join(udev, `b${devNo}`), 'E:ID_FS_LABEL=DATA\nE:ID_FS_TYPE=ext4\n');
    expect(await signatureUses([name], udev)).toEqual([]);
  });
});
