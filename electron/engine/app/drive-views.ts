import { type Drive, classifyDrive } from '../../../shared/drive';
import { isMaculaError } from '../../../shared/errors';
import type { IpcRequest, IpcResponse } from '../../../shared/ipc-contract';
import type { DriveView } from '../../../shared/ipc-drives';
import { checkTarget, defaultAppPaths } from '../drives/check-target';
import { driveHoldsFile } from '../drives/holds-file';
import { type DriveSource, listDrives } from '../drives/list-drives';

async function holdsAny(drive: Drive, paths: readonly string[]): Promise<boolean> {
  for (const path of paths) if (await driveHoldsFile(drive, path).catch(() => false)) return true;
  return false;
}

/**
 * `drives.list`: the OS's drives (system drives only when asked) plus the paths the user added, each classified for
 * the chosen image exactly as the flash will check it (system, holds the image or the app, too small, read-only).
 */
export async function listDriveViews(request: IpcRequest<'drives.list'>, source?: DriveSource): Promise<IpcResponse<'drives.list'>> {
  const { imagePath, imageSize } = request;
  const context = imageSize !== undefined ? { imageSize } : {};
  const drives: DriveView[] = [];
  const listed = await listDrives(source).catch(() => [] as Drive[]);
  for (const drive of listed) {
    if (drive.system && !request.showSystem) continue;
    const holdsSource = imagePath !== undefined && (await driveHoldsFile(drive, imagePath).catch(() => false));
    const verdict = classifyDrive(drive, { ...context, holdsSource, holdsApp: await holdsAny(drive, defaultAppPaths()) });
    drives.push({ drive, ...verdict, origin: 'os' });
  }
  const problems: { path: string; message: string }[] = [];
  for (const path of new Set(request.extraPaths)) {
    try {
      const check = await checkTarget(path, { ...context, ...(imagePath !== undefined ? { imagePath } : {}) });
      if (!drives.some((d) => d.drive.device === check.drive.device)) drives.push({ ...check, origin: 'path' });
    } catch (e) {
      if (!isMaculaError(e)) throw e;
      problems.push({ path, message: e.message });
    }
  }
  return { drives, problems };
}
