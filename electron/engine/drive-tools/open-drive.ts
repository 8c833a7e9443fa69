import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { describeTarget } from '../drives/describe-target';
import { directIo } from '../write/direct-io';
import type { OpenedTarget } from '../write/open-target';
import { deviceSectorSize } from '../write/sysfs-block';
import { MaculaError } from '../../../shared/errors';
import { errnoOf } from '../write/write-errors';
import { ALIGNMENT } from '../write/direct-io';

/** Why `path` cannot be opened for reading, as an error with a stable code. */
function readOpenError(path: string, err: unknown): MaculaError {
  const errno = errnoOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (errno === 'ENOENT') return new MaculaError('ERR_TARGET_NOT_FOUND', `${path} does not exist (unplugged?)`, { path }, { cause: err });
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new MaculaError('ERR_TARGET_ACCESS_DENIED', `no permission to read ${path} (${errno}): run as administrator/root`, { path }, { cause: err });
  }
  return new MaculaError('ERR_IO', `cannot open ${path} for reading: ${message}`, { path }, { cause: err });
}

/** A drive (or image file) opened read-only for `check` and `clone`, and how many bytes it holds. */
export interface OpenedDrive {
  readonly target: OpenedTarget;
  readonly size: number;
}

/**
 * Opens `path` O_RDONLY|O_DIRECT, never exclusively and never unmounting anything: `clone` and `check` only read, and a
 * mounted partition (an automounted FAT) must not stop a backup; the read then shows the disk as it is at that moment.
 * A regular file whose filesystem refuses O_DIRECT (tmpfs) is read plainly, said so in `note`.
 */
export async function openDriveForRead(path: string): Promise<OpenedDrive> {
  const drive = await describeTarget(path);
  const size = drive.size ?? 0;
  const block = drive.kind !== 'file';
  try {
    const handle = await open(path, constants.O_RDONLY | directIo.O_DIRECT);
    if (process.platform === 'darwin') {
      await new Promise<void>((ok, ko) => directIo.setF_NOCACHE(handle.fd, 1, (e) => (e ? ko(e) : ok())));
    }
    const sectorSize = block ? Math.max(512, (await deviceSectorSize(path)) ?? 512) : ALIGNMENT;
    return { size, target: { path, kind: block ? 'block' : 'file', handle, direct: true, sectorSize } };
  } catch (err) {
    if (block || errnoOf(err) !== 'EINVAL') throw readOpenError(path, err);
  }
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw readOpenError(path, err);
  });
  const note = 'the filesystem refuses O_DIRECT: read through the page cache';
  return { size, target: { path, kind: 'file', handle, direct: false, sectorSize: 1, note } };
}
