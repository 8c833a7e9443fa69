import { describe, expect, it } from 'vitest';
import { type Drive, LARGE_DRIVE_BYTES, classifyDrive, driveSchema, formatSize } from './drive';

const MiB = 1 << 20;

function drive(over: Partial<Drive> = {}): Drive {
  return {
    device: '/dev/sdb',
    size: 8 * 1024 * MiB,
    description: 'SanDisk Cruzer',
    busType: 'USB',
    removable: true,
    system: false,
    readOnly: false,
    mountpoints: [],
    kind: 'disk',
    ...over,
  };
}

const reasons = (d: Drive, ctx = {}): { refusals: string[]; warnings: string[] } => {
  const v = classifyDrive(d, ctx);
  return { refusals: v.refusals.map((r) => r.reason), warnings: v.warnings.map((w) => w.reason) };
};

describe('classifyDrive', () => {
  it('accepts an ordinary USB stick with neither refusals nor warnings', () => {
    expect(classifyDrive(drive(), { imageSize: 1024 * MiB, holdsSource: false, holdsApp: false })).toEqual({ refusals: [], warnings: [] });
  });

  it('refuses the system drive and names what it holds', () => {
    const v = classifyDrive(drive({ device: '/dev/vda', system: true, mountpoints: ['/', '/home', '[SWAP]'] }));
    expect(v.refusals).toEqual([{ reason: 'system', message: 'refusing /dev/vda: it is a system disk (holds /; swap)' }]);
    expect(classifyDrive(drive({ system: true })).refusals[0]?.message).toBe('refusing /dev/sdb: it is the system drive');
  });

  it('refuses a disk the engine found in use, whatever drivelist thought, with what it holds', () => {
    const inUse = drive({
      removable: false,
      mountpoints: ['/var', '/media/usb'],
      uses: [
        { kind: 'mount', mountPoint: '/var' },
        { kind: 'mount', mountPoint: '/media/usb' },
        { kind: 'lvm', volumeGroup: 'vg0' },
      ],
    });
    expect(classifyDrive(inUse).refusals).toEqual([
      { reason: 'system', message: 'refusing /dev/sdb: it is a system disk (holds /var; LVM physical volume of vg0)' },
    ]);
    expect(classifyDrive(drive({ uses: [{ kind: 'md', array: 'md0' }] })).refusals[0]?.message).toBe('refusing /dev/sdb: it is a system disk (member of md0)');
  });

  it('lets a disk mounted only on removable-media locations through, with the "mounted" warning', () => {
    const stick = drive({ mountpoints: ['/run/media/ann/STICK', '/mnt/sd'], uses: [
      { kind: 'mount', mountPoint: '/run/media/ann/STICK' },
      { kind: 'mount', mountPoint: '/mnt/sd' },
    ] });
    expect(reasons(stick)).toEqual({ refusals: [], warnings: ['mounted'] });
    expect(reasons({ ...stick, removable: false }).refusals).toEqual(['system']);
    // Read by the engine, an unmounted fixed disk is not refused for being fixed: drivelist's flag is what refuses it.
    expect(reasons(drive({ removable: false, uses: [] })).refusals).toEqual([]);
  });

  it('refuses the drive holding the source image or the application', () => {
    expect(reasons(drive(), { holdsSource: true }).refusals).toEqual(['source']);
    expect(classifyDrive(drive(), { holdsSource: true }).refusals[0]?.message).toBe('refusing /dev/sdb: it holds the source image');
    expect(classifyDrive(drive({ kind: 'file', device: '/tmp/x.img' }), { holdsSource: true }).refusals[0]?.message).toBe(
      'refusing /tmp/x.img: it is the source image itself',
    );
    expect(reasons(drive(), { holdsApp: true }).refusals).toEqual(['app']);
  });

  it('refuses a read-only device or file', () => {
    expect(classifyDrive(drive({ readOnly: true })).refusals).toEqual([{ reason: 'read-only', message: 'refusing /dev/sdb: the device is read-only' }]);
    expect(classifyDrive(drive({ kind: 'file', device: '/x', readOnly: true })).refusals[0]?.message).toBe('refusing /x: the file is read-only');
  });

  it('refuses a disk smaller than the image, down to the byte, but not a file (it grows) nor an unknown size', () => {
    expect(classifyDrive(drive({ device: '/dev/loop3', size: 64 * MiB }), { imageSize: 256 * MiB }).refusals).toEqual([
      { reason: 'too-small', message: 'refusing /dev/loop3: 64 MiB is smaller than the 256 MiB image' },
    ]);
    expect(reasons(drive({ size: 64 * MiB }), { imageSize: 64 * MiB + 1 }).refusals).toEqual(['too-small']);
    expect(reasons(drive({ size: 64 * MiB }), { imageSize: 64 * MiB }).refusals).toEqual([]);
    expect(reasons(drive({ size: 0, kind: 'file' }), { imageSize: 64 * MiB }).refusals).toEqual([]);
  });

  it('refuses a disk that reports no size (an empty card reader, an unset zram device), but not a new file', () => {
    expect(classifyDrive(drive({ device: '/dev/zram0', size: null })).refusals).toEqual([
      { reason: 'no-medium', message: 'refusing /dev/zram0: it reports no size: an empty card reader, or not a storage medium' },
    ]);
    expect(reasons(drive({ size: 0 }), { imageSize: 64 * MiB }).refusals).toEqual(['no-medium']);
    expect(reasons(drive({ size: 0, kind: 'file' })).refusals).toEqual([]);
  });

  it('lists every refusal, the most serious first', () => {
    const all = drive({ system: true, readOnly: true, size: 1 });
    expect(reasons(all, { imageSize: 2, holdsSource: true, holdsApp: true }).refusals).toEqual(['system', 'app', 'source', 'read-only', 'too-small']);
  });

  it('warns about drives above 128 GB and about mounted drives, which will be unmounted', () => {
    expect(reasons(drive({ size: LARGE_DRIVE_BYTES })).warnings).toEqual([]);
    expect(reasons(drive({ size: LARGE_DRIVE_BYTES + 1 })).warnings).toEqual(['large']);
    const v = classifyDrive(drive({ size: 256e9, mountpoints: ['/media/usb', '/media/usb2'] }));
    expect(v.refusals).toEqual([]);
    expect(v.warnings).toEqual([
      { reason: 'large', message: '/dev/sdb is 256 GB, larger than most USB sticks and SD cards: make sure it is the right drive' },
      { reason: 'mounted', message: '/dev/sdb is mounted at /media/usb, /media/usb2; it will be unmounted before writing' },
    ]);
  });
});

describe('driveSchema', () => {
  it('accepts a drive and rejects a negative size or an unknown kind', () => {
    expect(driveSchema.parse(drive({ isVirtual: true }))).toEqual(drive({ isVirtual: true }));
    expect(driveSchema.safeParse({ ...drive(), size: -1 }).success).toBe(false);
    expect(driveSchema.safeParse({ ...drive(), kind: 'tape' }).success).toBe(false);
  });
});

describe('formatSize', () => {
  it('prints binary units, whole numbers without decimals', () => {
    expect([formatSize(512), formatSize(64 * MiB), formatSize(1536 * MiB), formatSize(256 * 1024 * MiB)]).toEqual(['512 B', '64 MiB', '1.5 GiB', '256 GiB']);
  });
});
