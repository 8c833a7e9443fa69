import { describe, expect, it } from 'vitest';
import { type DiskUse, describeUses, diskUseSchema, isRemovableMediaMount, systemUses } from './disk-use';

describe('which mounts a flash may undo (isRemovableMediaMount)', () => {
  it('allows mounts below /media and /run/media, on any disk', () => {
    for (const removable of [true, false]) {
      expect(isRemovableMediaMount('/media/usb', removable)).toBe(true);
      expect(isRemovableMediaMount('/media/ann/MACULAOS', removable)).toBe(true);
      expect(isRemovableMediaMount('/run/media/ann/STICK', removable)).toBe(true);
    }
  });

  it('allows /mnt and below only for a removable disk', () => {
    expect(isRemovableMediaMount('/mnt', true)).toBe(true);
    expect(isRemovableMediaMount('/mnt/sd', true)).toBe(true);
    expect(isRemovableMediaMount('/mnt', false)).toBe(false);
    expect(isRemovableMediaMount('/mnt/data', false)).toBe(false);
  });

  it('refuses everything else, including look-alike prefixes and the roots themselves', () => {
    for (const m of ['/', '/var', '/home', '/srv', '/opt/data', '/tmp/x', '/media', '/run/media', '/mediastore', '/run/mediax/a', '/mntdata']) {
      expect(isRemovableMediaMount(m, true), m).toBe(false);
    }
  });
});

describe('systemUses and describeUses', () => {
  const uses: DiskUse[] = [
    { kind: 'mount', mountPoint: '/media/usb' },
    { kind: 'mount', mountPoint: '/var' },
    { kind: 'mount', mountPoint: '/home' },
    { kind: 'swap' },
    { kind: 'lvm', volumeGroup: 'vg0' },
    { kind: 'md', array: 'md0' },
    { kind: 'zfs', pool: 'tank' },
    { kind: 'luks', mountPoints: ['/home'] },
    { kind: 'holder', holder: 'bcache0' },
  ];

  it('keeps every use but mounts on removable-media locations', () => {
    expect(systemUses(uses, false)).toEqual(uses.slice(1));
    expect(systemUses([{ kind: 'mount', mountPoint: '/mnt/sd' }], true)).toEqual([]);
    expect(systemUses([{ kind: 'mount', mountPoint: '/mnt/sd' }], false)).toEqual([{ kind: 'mount', mountPoint: '/mnt/sd' }]);
  });

  it('names each reason once, mounts together, a mount inside a LUKS container under the container', () => {
    expect(describeUses(systemUses(uses, false))).toEqual([
      'holds /var',
      'swap',
      'LVM physical volume of vg0',
      'member of md0',
      'ZFS pool tank',
      'LUKS container of /home',
      'held by bcache0',
    ]);
    expect(describeUses([{ kind: 'lvm', volumeGroup: null }, { kind: 'zfs', pool: null }])).toEqual(['LVM physical volume', 'ZFS pool member']);
    expect(describeUses([{ kind: 'mount', mountPoint: '/' }, { kind: 'mount', mountPoint: '/srv' }, { kind: 'swap' }, { kind: 'swap' }])).toEqual([
      'holds /, /srv',
      'swap',
    ]);
  });

  it('rejects a malformed use crossing a process boundary', () => {
    expect(diskUseSchema.safeParse({ kind: 'luks', mountPoints: [] }).success).toBe(false);
    expect(diskUseSchema.safeParse({ kind: 'raid' }).success).toBe(false);
    expect(diskUseSchema.safeParse({ kind: 'mount', mountPoint: '/var', extra: 1 }).success).toBe(false);
  });
});
