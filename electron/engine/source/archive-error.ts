import type { Readable } from 'node:stream';
import { isMaculaError, MaculaError } from '../../../shared/errors';
import type { ImageCompression } from '../../../shared/image-format';

/** A compressed container format (everything but raw images). */
export type ArchiveFormat = Exclude<ImageCompression, 'none'>;

/** Errors from fs calls carry a syscall; those are I/O trouble, not bad archive data. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Maps a decoder failure to ERR_ARCHIVE_TRUNCATED (`truncated`: input ended early) or ERR_ARCHIVE_CORRUPT,
 * naming the format and the file. MaculaErrors pass through untouched; fs errors become ERR_IO.
 */
export function archiveError(format: ArchiveFormat, path: string, err: unknown, truncated: boolean): MaculaError {
  if (isMaculaError(err)) return err;
  if (isSystemError(err)) return ioError(path, err);
  const detail = messageOf(err);
  return truncated
    ? new MaculaError('ERR_ARCHIVE_TRUNCATED', `${format} data in ${path} ends early (${detail})`, { path }, { cause: err })
    : new MaculaError('ERR_ARCHIVE_CORRUPT', `${format} data in ${path} is corrupt (${detail})`, { path }, { cause: err });
}

/** Maps a failure to read an image file to ERR_IO (MaculaErrors pass through untouched). */
export function ioError(path: string, err: unknown): MaculaError {
  if (isMaculaError(err)) return err;
  return new MaculaError('ERR_IO', `cannot read ${path}: ${messageOf(err)}`, { path }, { cause: err });
}

/** The error an aborted read is destroyed with. */
export function abortedError(path: string): MaculaError {
  return new MaculaError('ERR_ABORTED', `reading ${path} was cancelled`, { path });
}

/** Destroys `stream` with ERR_ABORTED when `signal` fires; the listener goes away when the stream closes. */
export function destroyOnAbort(stream: Readable, path: string, signal?: AbortSignal): void {
  if (!signal) return;
  const abort = (): void => void stream.destroy(abortedError(path));
  if (signal.aborted) {
    process.nextTick(abort);
    return;
  }
  signal.addEventListener('abort', abort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', abort));
}
