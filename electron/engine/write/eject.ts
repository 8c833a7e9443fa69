import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

/** Runs a program without a shell (injectable for tests). */
export type Runner = (file: string, args: readonly string[]) => Promise<unknown>;

const execFileAsync = promisify(execFile);
const defaultRunner: Runner = (file, args) => execFileAsync(file, [...args]);

/** What happened to a target after flashing: ejected (and how), or why not. */
export type EjectResult = { readonly ejected: true; readonly how: string } | { readonly ejected: false; readonly why: string };

/** The platform's way to make a removable medium safe to pull, first available wins. */
function ejectCommands(device: string, platform: NodeJS.Platform, exists: (path: string) => boolean): [string, string[]][] {
  switch (platform) {
    case 'linux':
      return [
        // udisks powers the USB port off too, which is what "safe to remove" means to a user.
        ...(exists('/usr/bin/udisksctl') ? [['/usr/bin/udisksctl', ['power-off', '-b', device]] as [string, string[]]] : []),
        ...(exists('/usr/bin/eject') ? [['/usr/bin/eject', [device]] as [string, string[]]] : []),
      ];
    case 'darwin':
      return [['/usr/sbin/diskutil', ['eject', device]]];
    case 'win32': {
      const disk = /^\\\\\.\\PhysicalDrive(\d+)$/i.exec(device)?.[1];
      return disk === undefined ? [] : [['powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', windowsEjectScript(Number(disk))]]];
    }
    default:
      return [];
  }
}

/**
 * Windows has no eject command line tool. Explorer's "Eject" verb on a volume of the disk (Shell.Application,
 * namespace 17 = "This PC") does what the tray's "Safely remove" does for the whole USB device, flushing and
 * stopping it; a disk whose new partitions got no drive letter has nothing Explorer could eject, which is said.
 * Structured here and unit-tested for its command; it cannot be run on this Linux machine.
 */
export function windowsEjectScript(diskNumber: number): string {
  if (!Number.isInteger(diskNumber) || diskNumber < 0) throw new RangeError(`not a disk number: ${diskNumber}`);
  return [
    `$letters = @(Get-Partition -DiskNumber ${diskNumber} -ErrorAction Stop | Where-Object { $_.DriveLetter } | ForEach-Object { $_.DriveLetter })`,
    `if ($letters.Count -eq 0) { throw 'no volume of disk ${diskNumber} has a drive letter to eject' }`,
    '$shell = New-Object -ComObject Shell.Application',
    "$shell.Namespace(17).ParseName(\"$($letters[0]):\").InvokeVerb('Eject')",
  ].join('; ');
}

/**
 * Ejects a removable drive after a successful flash (Raspberry Pi Imager does the same), so the user can pull it
 * without a warning. Non-removable targets, loop devices and files are left alone. Never throws: a failed eject
 * does not make a verified flash fail.
 */
export async function ejectTarget(
  device: string,
  removable: boolean,
  options: { platform?: NodeJS.Platform; run?: Runner; exists?: (path: string) => boolean } = {},
): Promise<EjectResult> {
  if (!removable) return { ejected: false, why: 'not a removable drive' };
  const commands = ejectCommands(device, options.platform ?? process.platform, options.exists ?? existsSync);
  if (commands.length === 0) return { ejected: false, why: 'no eject tool on this system (udisksctl, eject, diskutil, powershell)' };
  const failures: string[] = [];
  for (const [file, args] of commands) {
    try {
      await (options.run ?? defaultRunner)(file, args);
      return { ejected: true, how: `${file} ${args.join(' ')}` };
    } catch (e) {
      failures.push(`${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  return { ejected: false, why: failures.join('; ') };
}
