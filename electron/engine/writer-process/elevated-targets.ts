import { lstat, realpath } from 'node:fs/promises';
import { MaculaError } from '../../../shared/errors';
import { assertWritable } from '../drives/check-target';

/** A target of the elevated writer, as it validated it itself. */
export interface ElevatedTarget {
  /** The path the request named. */
  readonly named: string;
  /** Where it led when checked: a device node, with no symlink left to follow. */
  readonly device: string;
  /** Its device number, which the open descriptor must have (open-target.ts, assertPinned). */
  readonly rdev: bigint;
}

/** What a stat'ed path is, for a refusal that says why. */
function kindOf(info: Awaited<ReturnType<typeof lstat>>): string {
  if (info.isFile()) return 'a regular file';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'not a block device';
}

async function resolveDevice(named: string): Promise<{ device: string; rdev: bigint }> {
  const device = await realpath(named).catch((err: unknown) => {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    throw new MaculaError(code === 'ENOENT' ? 'ERR_TARGET_NOT_FOUND' : 'ERR_TARGET_UNSUPPORTED', `${named}: cannot resolve the target (${code || 'error'})`, { path: named });
  });
  const info = await lstat(device, { bigint: true });
  if (!info.isBlockDevice()) {
    throw new MaculaError('ERR_TARGET_UNSUPPORTED', `${named} is ${kindOf(info)}: the elevated writer writes only whole-disk block devices`, { path: named });
  }
  return { device, rdev: info.rdev };
}

/**
 * The elevated writer's own check of every target, trusting nothing the unprivileged side said (docs/flashing.md, "The
 * elevated writer"): each path is resolved here, must be a whole-disk block device (never a regular file, a partition
 * or a character device), and passes every target guard from this process's view of the system (system disk, the
 * drive holding the image or the app, too small, read-only). Two paths to one device are refused. One refusal refuses
 * the request: nothing is written.
 */
export async function validateElevatedTargets(named: readonly string[], imagePath: string, imageSize: number | undefined): Promise<ElevatedTarget[]> {
  const targets: ElevatedTarget[] = [];
  for (const path of named) {
    const { device, rdev } = await resolveDevice(path);
    if (targets.some((t) => t.rdev === rdev)) throw new MaculaError('ERR_USAGE', `${path} names the same drive as another target`, { path });
    await assertWritable(device, { imagePath, ...(imageSize !== undefined ? { imageSize } : {}) });
    targets.push({ named: path, device, rdev });
  }
  return targets;
}
