import { isMaculaError, MaculaError } from '../../../shared/errors';
import { type OpenedTarget, type TargetKind, openForWrite, targetKind } from './open-target';
import { type Unmounted, unmountDisk } from './unmount';

/** A target ready to be written: open, its filesystems unmounted (and held unmounted where the platform needs it). */
export interface PreparedTarget {
  readonly opened: OpenedTarget;
  readonly unmounted: Unmounted;
  readonly notes: readonly string[];
}

/** Any failure as a MaculaError, keeping an existing code. */
export function asMaculaError(path: string, err: unknown): MaculaError {
  if (isMaculaError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MaculaError('ERR_WRITE_FAILED', `${path}: ${message}`, { path }, { cause: err });
}

/** The kind of `path` after `preflight` accepted it; the check runs before any target is touched. */
export async function checkTarget(
  path: string,
  imageSize: number | undefined,
  preflight: ((target: string, imageSize: number | undefined) => Promise<void>) | undefined,
): Promise<TargetKind> {
  await preflight?.(path, imageSize);
  return targetKind(path);
}

/**
 * Unmounts a block device's filesystems (regular files have none) and opens it for writing. If the open fails the
 * unmount hold is released; the filesystems stay unmounted, which is what the user asked for by choosing the drive.
 * `pinned`: the device number the descriptor must have (see openForWrite).
 */
export async function prepareTarget(path: string, kind: TargetKind, pinned?: bigint): Promise<PreparedTarget> {
  const unmounted: Unmounted = kind === 'block' ? await unmountDisk(path) : { mountpoints: [], release: async () => {} };
  try {
    const opened = await openForWrite(path, kind, pinned);
    const notes = [
      ...(unmounted.mountpoints.length > 0 ? [`unmounted ${unmounted.mountpoints.join(', ')}`] : []),
      ...(opened.note !== undefined ? [opened.note] : []),
    ];
    return { opened, unmounted, notes };
  } catch (err) {
    await unmounted.release();
    throw err;
  }
}
