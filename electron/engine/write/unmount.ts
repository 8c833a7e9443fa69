import { execFile } from 'node:child_process';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { MaculaError } from '../../../shared/errors';
import { directIo } from './direct-io';
import { diskAndPartitionNumbers, sysfsDir } from './sysfs-block';

const run = promisify(execFile);

/** What unmounting a disk released, and how to let go of anything held meanwhile (Windows volume locks). */
export interface Unmounted {
  /** Mount points (or volumes) that were unmounted, in order. */
  readonly mountpoints: readonly string[];
  /** Ends any hold taken while unmounting; call after the write. */
  release(): Promise<void>;
}

const nothingHeld = async (): Promise<void> => {};

function unmountFailed(target: string, mountpoint: string, err: unknown): MaculaError {
  const stderr = (err as { stderr?: unknown } | null)?.stderr;
  const detail = typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : err instanceof Error ? err.message : String(err);
  return new MaculaError('ERR_UNMOUNT_FAILED', `cannot unmount ${mountpoint} (on ${target}): ${detail}`, { path: mountpoint }, { cause: err });
}

/** Undoes mountinfo's octal escapes of space, tab, newline and backslash (proc(5), /proc/pid/mountinfo). */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points whose device (field 3, `major:minor`) is one of `numbers`, latest mount first (proc(5)). */
async function linuxMountsOf(numbers: ReadonlySet<string>): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const mounts: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields.length > 4 && numbers.has(fields[2] ?? '')) mounts.push(unescapeMountPath(fields[4] ?? ''));
  }
  return mounts.reverse();
}

/**
 * Linux: unmounts every mount of the disk and of its partitions found in /proc/self/mountinfo by `major:minor`, latest
 * first so nested mounts go before their parents. Mounts in other mount namespaces are not visible here; the exclusive
 * open that follows fails with EBUSY for those.
 */
async function unmountLinux(devicePath: string): Promise<Unmounted> {
  const dir = await sysfsDir(devicePath);
  if (dir === undefined) return { mountpoints: [], release: nothingHeld };
  const numbers = new Set(await diskAndPartitionNumbers(dir));
  const done: string[] = [];
  for (const mountpoint of await linuxMountsOf(numbers)) {
    await run('umount', [mountpoint]).catch((err: unknown) => {
      throw unmountFailed(devicePath, mountpoint, err);
    });
    done.push(mountpoint);
  }
  const left = await linuxMountsOf(numbers);
  if (left[0] !== undefined) throw unmountFailed(devicePath, left[0], new Error('still mounted after umount'));
  return { mountpoints: done, release: nothingHeld };
}

/** macOS: `diskutil unmountDisk` unmounts every volume of the disk. Cannot run here (Linux CI); kept to one call. */
async function unmountMac(devicePath: string): Promise<Unmounted> {
  await run('diskutil', ['unmountDisk', devicePath]).catch((err: unknown) => {
    throw unmountFailed(devicePath, devicePath, err);
  });
  return { mountpoints: [devicePath], release: nothingHeld };
}

/**
 * Windows: each lettered volume of \\.\PhysicalDriveN is dismounted (`fsutil volume dismount`) and then locked with
 * FSCTL_LOCK_VOLUME until `release`, so Explorer cannot remount it mid-write. Cannot run here (Linux CI), untested.
 */
async function unmountWindows(devicePath: string): Promise<Unmounted> {
  const disk = /PhysicalDrive(\d+)$/i.exec(devicePath)?.[1];
  if (disk === undefined) return { mountpoints: [], release: nothingHeld };
  const script = `Get-Partition -DiskNumber ${disk} | Where-Object DriveLetter | ForEach-Object { $_.DriveLetter }`;
  const { stdout } = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script]);
  const held: FileHandle[] = [];
  const release = async (): Promise<void> => void (await Promise.all(held.map((h) => h.close())));
  const volumes = stdout.split(/\s+/).filter((l) => /^[A-Z]$/i.test(l)).map((l) => `${l}:`);
  let current = devicePath;
  try {
    for (const volume of volumes) {
      current = volume;
      await run('fsutil', ['volume', 'dismount', volume]);
      const handle = await open(`\\\\.\\${volume}`, 'r+');
      held.push(handle);
      await new Promise<void>((ok, ko) => directIo.setFSCTL_LOCK_VOLUME(handle.fd, 1, (e) => (e ? ko(e) : ok())));
    }
  } catch (err) {
    await release();
    throw unmountFailed(devicePath, current, err);
  }
  return { mountpoints: volumes, release };
}

/** Unmounts every filesystem of the disk at `devicePath` before it is written, by the platform's own means. */
export function unmountDisk(devicePath: string, platform: NodeJS.Platform = process.platform): Promise<Unmounted> {
  if (platform === 'darwin') return unmountMac(devicePath);
  if (platform === 'win32') return unmountWindows(devicePath);
  return unmountLinux(devicePath);
}
