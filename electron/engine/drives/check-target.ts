import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Drive, type Refusal, type RefusalReason, type Warning, classifyDrive } from '../../../shared/drive';
import { type MaculaErrorCode, MaculaError, assertNever } from '../../../shared/errors';
import { describeTarget } from './describe-target';
import { driveHoldsFile } from './holds-file';

/** What is known about the write a target is checked for. */
export interface CheckTargetOptions {
  /** Bytes the image needs on the target. */
  readonly imageSize?: number;
  /** The image file to be read: its drive must not be the target. */
  readonly imagePath?: string;
  /** Files of the running application; default: the Node/Electron executable and this module's directory. */
  readonly appPaths?: readonly string[];
}

/** A described target and the verdict on writing it. */
export interface TargetCheck {
  readonly drive: Drive;
  readonly refusals: Refusal[];
  readonly warnings: Warning[];
}

/** Where the running application lives: its executable and its code (sources, `dist/`, or a packaged app). */
export function defaultAppPaths(): string[] {
  return [process.execPath, dirname(fileURLToPath(import.meta.url))];
}

/** The application's own files are best-effort: one that cannot be stat'ed (e.g. inside an asar archive) is skipped. */
async function holdsAny(drive: Drive, paths: readonly string[]): Promise<boolean> {
  for (const path of paths) {
    if (await driveHoldsFile(drive, path).catch(() => false)) return true;
  }
  return false;
}

/** Describes `path` (block device or file) and says whether it may receive the image, and with which warnings. */
export async function checkTarget(path: string, options: CheckTargetOptions = {}): Promise<TargetCheck> {
  const drive = await describeTarget(path);
  const holdsSource = options.imagePath !== undefined && (await driveHoldsFile(drive, options.imagePath));
  const holdsApp = await holdsAny(drive, options.appPaths ?? defaultAppPaths());
  const verdict = classifyDrive(drive, {
    ...(options.imageSize !== undefined ? { imageSize: options.imageSize } : {}),
    holdsSource,
    holdsApp,
  });
  return { drive, ...verdict };
}

function codeFor(reason: RefusalReason): MaculaErrorCode {
  switch (reason) {
    case 'system':
      return 'ERR_TARGET_SYSTEM_DRIVE';
    case 'source':
      return 'ERR_TARGET_SOURCE_DRIVE';
    case 'app':
      return 'ERR_TARGET_APP_DRIVE';
    case 'read-only':
      return 'ERR_TARGET_READ_ONLY';
    case 'no-medium':
      return 'ERR_TARGET_NO_MEDIUM';
    case 'too-small':
      return 'ERR_TARGET_TOO_SMALL';
    default:
      return assertNever(reason);
  }
}

/** A refusal as the error the writer throws: stable code, the refusal's message, the device and sizes as fields. */
export function refusalError(refusal: Refusal, drive: Drive, options: CheckTargetOptions = {}): MaculaError {
  const sizes =
    refusal.reason === 'too-small' && options.imageSize !== undefined && drive.size !== null
      ? { expected: options.imageSize, actual: drive.size }
      : {};
  return new MaculaError(codeFor(refusal.reason), refusal.message, { path: drive.device, ...sizes });
}

/**
 * Checks the target and throws its first (most serious) refusal as a MaculaError (`ERR_TARGET_*`); returns the
 * check, warnings included, when it may be written. The writer calls this before opening any target.
 */
export async function assertWritable(path: string, options: CheckTargetOptions = {}): Promise<TargetCheck> {
  const check = await checkTarget(path, options);
  const [first] = check.refusals;
  if (first) throw refusalError(first, check.drive, options);
  return check;
}
