import type { IpcRequest, IpcResponse } from '../../../shared/ipc-contract';
import { MaculaError } from '../../../shared/errors';
import { checkDrive } from '../drive-tools/check-drive';
import { cloneDrive } from '../drive-tools/clone-drive';
import { restoreDrive } from '../drive-tools/restore-drive';
import { openImage } from '../source/open-image';

/** `drive.check`: the drive compared with a local image (drive-tools/check-drive.ts). */
export async function checkForApp(request: IpcRequest<'drive.check'>): Promise<IpcResponse<'drive.check'>> {
  return checkDrive({ device: request.device, source: await openImage(request.image) });
}

/** `drive.clone`: the drive backed up into `out` (drive-tools/clone-drive.ts). */
export function cloneForApp(request: IpcRequest<'drive.clone'>): Promise<IpcResponse<'drive.clone'>> {
  return cloneDrive(request);
}

/**
 * `drive.restore`: formats in the engine's own process, so only an engine running as root may (docs/drive-tools.md);
 * otherwise refused before anything is touched.
 */
export function restoreForApp(request: IpcRequest<'drive.restore'>): Promise<IpcResponse<'drive.restore'>> {
  if (process.platform !== 'win32' && process.getuid?.() !== 0) {
    return Promise.reject(new MaculaError('ERR_TARGET_ACCESS_DENIED', `restoring ${request.device} needs the app to run as root (or use sudo macula restore)`, { path: request.device }));
  }
  return restoreDrive({ device: request.device, ...(request.fs ? { fs: request.fs } : {}), ...(request.label ? { label: request.label } : {}) });
}
