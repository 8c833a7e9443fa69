import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../electron/cli/exit-codes';
import { assertWritable, checkTarget } from '../electron/engine/drives/check-target';
import { LoopLab } from './helpers/loop-device';
import { maculaInMountNamespace } from './helpers/mount-ns';

const isRoot = process.getuid?.() === 0;
/** lvm2 is installed by .ci/run; pvcreate and vgcreate write their labels without device-mapper (absent here). */
const hasLvm = existsSync('/usr/sbin/pvcreate') && existsSync('/usr/sbin/vgcreate');
/** lvm2 warns about every descriptor it inherits (vitest's pipes); the warning is noise. */
const lvmEnv = { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' };

const sh = (cmd: string, args: readonly string[], input?: string): string =>
  execFileSync(cmd, [...args], { encoding: 'utf8', env: lvmEnv, ...(input !== undefined ? { input } : {}) });

/** The drive event the CLI printed for `device`. */
function driveEvent(events: readonly Record<string, unknown>[], device: string): Record<string, unknown> | undefined {
  return events.find((e) => e['event'] === 'drive' && e['device'] === device);
}

/**
 * Disks the running system uses beyond /, /boot, /usr and swap (issue 13, item 5): each is attacked as a user
 * would meet it — a data disk mounted at /var, /srv or /mnt, an LVM physical volume — and must be refused before a
 * single byte is written; a USB stick the desktop mounted under /media must still be flashable. Mounts are made in a
 * private mount namespace around the CLI, never on the host's /var.
 */
describe.skipIf(!isRoot)('disks in use by the running system (real loop devices, root)', () => {
  let lab: LoopLab;
  let image: string;
  beforeAll(() => {
    lab = new LoopLab();
    image = lab.sparseFile(4, 'small.img');
    sh('sfdisk', ['-q', image], 'label: dos\n1MiB,,83\n');
  });
  afterEach(() => lab.cleanup());
  afterAll(() => lab.dispose());

  /** A loop whose whole device holds an ext4 filesystem, not mounted anywhere on the host. */
  function ext4Loop(sizeMiB = 16): string {
    const { device } = lab.create({ sizeMiB });
    sh('mkfs.ext4', ['-q', '-F', device]);
    return device;
  }

  it('refuses a data disk mounted at /var: `drives --all` names it, `flash` stops with ERR_TARGET_SYSTEM_DRIVE', async () => {
    const device = ext4Loop();
    const setup = `mount ${device} /var`;
    const message = `refusing ${device}: it is a system disk (holds /var)`;

    const flash = await maculaInMountNamespace(setup, ['flash', image, '--to', device, '--yes', '--json']);
    expect(flash.code, flash.stdout + flash.stderr).toBe(EXIT.target);
    expect(flash.stdout + flash.stderr).toContain(message);
    expect(flash.stdout + flash.stderr).toContain('ERR_TARGET_SYSTEM_DRIVE');
    // The filesystem is intact (nothing was written) and the host never saw the mount.
    expect(sh('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device]).trim()).toBe('ext4');
    const devNo = readFileSync(`/sys/class/block/${device.slice('/dev/'.length)}/dev`, 'utf8').trim();
    expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[2] === devNo)).toEqual([]);

    const all = await maculaInMountNamespace(setup, ['drives', '--all', '--json', device]);
    expect(all.code, all.stderr).toBe(0);
    expect(driveEvent(all.events, device)).toMatchObject({ system: true, mountpoints: ['/var'], refusals: [{ reason: 'system', message }] });
    const plain = await maculaInMountNamespace(setup, ['drives', '--json', device]);
    expect(driveEvent(plain.events, device)).toBeUndefined();
  });

  /** `macula flash` of the small image to `device` in a namespace set up by `setup`: refused, nothing written. */
  async function expectFlashRefused(setup: string, device: string, message: string): Promise<void> {
    const before = sh('blkid', ['-p', '-o', 'export', device]);
    const flash = await maculaInMountNamespace(setup, ['flash', image, '--to', device, '--yes', '--json']);
    expect(flash.code, flash.stdout + flash.stderr).toBe(EXIT.target);
    expect(flash.stdout + flash.stderr).toContain(message);
    expect(sh('blkid', ['-p', '-o', 'export', device])).toBe(before);
  }

  it('refuses a partitioned disk with one partition at /srv and the other at /media (the /srv mount decides)', async () => {
    const loop = lab.create({ sizeMiB: 48, partitions: 'label: dos\n,20M,83\n,,83\n' });
    const [p1, p2] = loop.partitions;
    for (const p of [p1, p2]) sh('mkfs.ext4', ['-q', '-F', p ?? '']);
    const setup = `mount -t tmpfs tmpfs /media\nmkdir /media/stick\nmount ${p1} /srv\nmount ${p2} /media/stick`;
    await expectFlashRefused(setup, loop.device, `refusing ${loop.device}: it is a system disk (holds /srv)`);
  });

  it('refuses a fixed disk mounted at /mnt (only a removable one may be mounted there)', async () => {
    const device = ext4Loop();
    await expectFlashRefused(`mkdir -p /mnt/data\nmount ${device} /mnt/data`, device, `refusing ${device}: it is a system disk (holds /mnt/data)`);
  });

  it('refuses a stick under /media one of whose directories is bind-mounted at /srv, and names a bind of /var once', async () => {
    const stick = ext4Loop();
    const bound = 'mount -t tmpfs tmpfs /media\nmkdir /media/stick\nmount ' + stick + ' /media/stick\nmkdir /media/stick/data\nmount --bind /media/stick/data /srv';
    await expectFlashRefused(bound, stick, `refusing ${stick}: it is a system disk (holds /srv)`);
    const data = ext4Loop();
    const twice = `mount ${data} /var\nmkdir -p /var/lib/app /srv\nmount --bind /var/lib/app /srv`;
    await expectFlashRefused(twice, data, `refusing ${data}: it is a system disk (holds /var)`);
  });

  it('still flashes a stick the desktop mounted under /media: unmounted first, then written', async () => {
    const device = ext4Loop();
    const setup = `mount -t tmpfs tmpfs /media\nmkdir -p /media/ann/STICK\nmount ${device} /media/ann/STICK`;
    const all = await maculaInMountNamespace(setup, ['drives', '--all', '--json', device]);
    expect(driveEvent(all.events, device)).toMatchObject({
      system: false,
      refusals: [],
      warnings: [{ reason: 'mounted', message: `${device} is mounted at /media/ann/STICK; it will be unmounted before writing` }],
    });
    const flash = await maculaInMountNamespace(setup, ['flash', image, '--to', device, '--yes', '--no-eject', '--json']);
    expect(flash.code, flash.stdout + flash.stderr).toBe(0);
    expect(flash.stdout).toContain('unmounted /media/ann/STICK');
    expect(sh('blkid', ['-p', '-o', 'value', '-s', 'PTTYPE', device]).trim()).toBe('dos');
  });

  it.skipIf(!hasLvm)('refuses an LVM physical volume, naming its volume group, though no volume of it is active', async () => {
    const loop = lab.create({ sizeMiB: 32, partitions: 'label: dos\n,8M,83\n,,8e\n' });
    const pv = loop.partitions[1] ?? '';
    const vg = `maculatest${process.pid}`;
    sh('pvcreate', ['-q', '-y', pv]);
    try {
      sh('vgcreate', ['-q', vg, pv]);
      const message = `refusing ${loop.device}: it is a system disk (LVM physical volume of ${vg})`;
      const check = await checkTarget(loop.device, { imageSize: 4 << 20 });
      expect(check.refusals).toEqual([{ reason: 'system', message }]);
      expect(check.drive.uses).toEqual([{ kind: 'lvm', volumeGroup: vg }]);
      await expect(assertWritable(loop.device)).rejects.toMatchObject({ code: 'ERR_TARGET_SYSTEM_DRIVE', message });
    } finally {
      // Each step on its own: a failed vgcreate must not keep pvremove from running.
      for (const [cmd, args] of [['vgremove', ['-q', '-y', vg]], ['pvremove', ['-q', '-y', pv]]] as const) {
        try {
          sh(cmd, args);
        } catch (e) {
          console.warn(`${cmd}: ${(e as Error).message}`);
        }
      }
    }
  });
});
