import { isMaculaError, MaculaError } from '../../../shared/errors';

/**
 * Which errno codes mean what while writing a drive, written down in one place.
 * Transient: a USB stick that stalls, a device briefly held by udev/blkid probing (EBUSY), a short EAGAIN; these are
 * retried with backoff. Everything else fails the target at once.
 */
const TRANSIENT = new Set(['EIO', 'EBUSY', 'EAGAIN']);

/** Backoff before each retry of a transient failure: three retries, 100, 400, 1600 ms. */
export const RETRY_DELAYS_MS: readonly number[] = [100, 400, 1600];

/** The errno code of a Node system error, if any. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for errors worth retrying (see TRANSIENT). */
export function isTransient(err: unknown): boolean {
  return TRANSIENT.has(errnoOf(err) ?? '');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Formats a byte offset for a message: exact bytes, plus MiB for people. */
export function describeOffset(offset: number): string {
  return `offset ${offset} (${(offset / 2 ** 20).toFixed(2)} MiB)`;
}

/** Maps a failure to open `path` for writing: read-only media, permissions, an exclusive open refused. */
export function openError(path: string, err: unknown): MaculaError {
  if (isMaculaError(err)) return err;
  const errno = errnoOf(err);
  switch (errno) {
    case 'EROFS':
      return readOnlyError(path, err);
    case 'EACCES':
    case 'EPERM':
      return new MaculaError('ERR_TARGET_ACCESS_DENIED', `no permission to write ${path} (${errno}): run as administrator/root`, { path }, { cause: err });
    case 'ENOENT':
      return new MaculaError('ERR_TARGET_NOT_FOUND', `${path} does not exist (unplugged?)`, { path }, { cause: err });
    case 'EBUSY':
      return new MaculaError('ERR_TARGET_BUSY', `${path} is in use (mounted or opened exclusively by another program)`, { path }, { cause: err });
    default:
      return new MaculaError('ERR_WRITE_FAILED', `cannot open ${path}: ${messageOf(err)}`, { path }, { cause: err });
  }
}

/** The error for a write-protected target (a locked SD card, a read-only loop device). */
export function readOnlyError(path: string, cause?: unknown): MaculaError {
  const options = cause === undefined ? undefined : { cause };
  return new MaculaError('ERR_TARGET_READ_ONLY', `${path} is read-only (write-protected): nothing was written`, { path }, options);
}

/**
 * Maps a write that failed at `offset` after retries. ENOSPC: the target is smaller than the image; transient errors
 * that outlived the retries: the device is unplugged or failing; `offset` undefined: fsync failed; EPERM/EROFS: a read-only device (Linux opens a
 * read-only block device for writing and refuses the first write with EPERM).
 */
export function writeError(path: string, offset: number | undefined, err: unknown): MaculaError {
  if (isMaculaError(err)) return err;
  const errno = errnoOf(err);
  const at = offset === undefined ? 'the final flush' : describeOffset(offset);
  if (errno === 'ENOSPC' || errno === 'EFBIG') {
    return new MaculaError('ERR_NO_SPACE', `${path} has no room at ${at}: the target is smaller than the image`, { path, offset }, { cause: err });
  }
  if (errno === 'EPERM' || errno === 'EROFS') return readOnlyError(path, err);
  if (isTransient(err)) {
    return new MaculaError('ERR_DEVICE_FAILING', `${path}: device unplugged or failing at ${at} (${errno})`, { path, offset }, { cause: err });
  }
  return new MaculaError('ERR_WRITE_FAILED', `writing ${path} failed at ${at}: ${messageOf(err)}`, { path, offset }, { cause: err });
}

/** Maps a failure while reading the target back for verification. */
export function readBackError(path: string, offset: number, err: unknown): MaculaError {
  if (isMaculaError(err)) return err;
  const code = isTransient(err) ? 'ERR_DEVICE_FAILING' : 'ERR_WRITE_FAILED';
  return new MaculaError(code, `reading ${path} back failed at ${describeOffset(offset)}: ${messageOf(err)}`, { path, offset }, { cause: err });
}
