import { describe, expect, it } from 'vitest';
import { ejectTarget, windowsEjectScript } from './eject';

/** A runner that records calls and fails for the programs named in `failing`. */
function recorder(failing: string[] = []) {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[]): Promise<void> => {
    calls.push(`${file} ${args.join(' ')}`);
    if (failing.includes(file)) throw new Error(`${file} failed\nmore`);
  };
  return { calls, run };
}
const all = (): boolean => true;

describe('ejectTarget', () => {
  it('powers a removable USB drive off with udisksctl on Linux', async () => {
    const r = recorder();
    expect(await ejectTarget('/dev/sdb', true, { platform: 'linux', run: r.run, exists: all })).toEqual({
      ejected: true,
      how: '/usr/bin/udisksctl power-off -b /dev/sdb',
    });
    expect(r.calls).toEqual(['/usr/bin/udisksctl power-off -b /dev/sdb']);
  });

  it('falls back to eject when udisksctl fails or is missing', async () => {
    const r = recorder(['/usr/bin/udisksctl']);
    expect(await ejectTarget('/dev/sdb', true, { platform: 'linux', run: r.run, exists: all })).toMatchObject({ ejected: true, how: '/usr/bin/eject /dev/sdb' });
    const onlyEject = recorder();
    await ejectTarget('/dev/sdc', true, { platform: 'linux', run: onlyEject.run, exists: (p) => p === '/usr/bin/eject' });
    expect(onlyEject.calls).toEqual(['/usr/bin/eject /dev/sdc']);
  });

  it('uses diskutil on macOS', async () => {
    const r = recorder();
    await ejectTarget('/dev/disk4', true, { platform: 'darwin', run: r.run, exists: all });
    expect(r.calls).toEqual(['/usr/sbin/diskutil eject /dev/disk4']);
  });

  it('leaves fixed drives, loops and files alone, and never throws', async () => {
    const r = recorder();
    expect(await ejectTarget('/dev/loop3', false, { platform: 'linux', run: r.run, exists: all })).toEqual({ ejected: false, why: 'not a removable drive' });
    expect(r.calls).toEqual([]);
    const failing = recorder(['/usr/bin/udisksctl', '/usr/bin/eject']);
    const result = await ejectTarget('/dev/sdb', true, { platform: 'linux', run: failing.run, exists: all });
    expect(result).toEqual({ ejected: false, why: '/usr/bin/udisksctl: /usr/bin/udisksctl failed; /usr/bin/eject: /usr/bin/eject failed' });
    expect(await ejectTarget('E:', true, { platform: 'win32', run: r.run, exists: all })).toMatchObject({ ejected: false });
  });

  it("uses Explorer's Eject verb through PowerShell on Windows, on a volume of that disk number", async () => {
    const r = recorder();
    const result = await ejectTarget('\\\\.\\PhysicalDrive2', true, { platform: 'win32', run: r.run, exists: all });
    expect(result).toMatchObject({ ejected: true, how: expect.stringMatching(/^powershell\.exe -NoProfile -NonInteractive -Command /) });
    expect(r.calls[0]).toContain('Get-Partition -DiskNumber 2 ');
    expect(r.calls[0]).toContain("InvokeVerb('Eject')");
    expect(windowsEjectScript(7)).toMatch(/no volume of disk 7 has a drive letter/);
    expect(() => windowsEjectScript(-1)).toThrow(RangeError);
  });
});
