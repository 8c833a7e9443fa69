import { constants } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { assertNever, MaculaError } from '../../../shared/errors';
import { ALIGNMENT, directIo } from './direct-io';
import { deviceReadOnly, deviceSectorSize } from './sysfs-block';
import { errnoOf, openError, readOnlyError } from './write-errors';

/** What a target path names: a whole block device (a drive) or a regular file (an image file, a test double). */
export type TargetKind = 'block' | 'file';

/** A target opened for writing or reading back. */
export interface OpenedTarget {
  readonly path: string;
  readonly kind: TargetKind;
  readonly handle: FileHandle;
  /** True when transfers bypass the page cache (O_DIRECT, F_NOCACHE on macOS). */
  readonly direct: boolean;
  /** Every transfer length is rounded up to this (the logical sector size with `direct`, else 1). */
  readonly sectorSize: number;
  /** How this open departs from the norm (e.g. no O_DIRECT on this filesystem). */
  readonly note?: string;
}

/** Block device or regular file; a missing path becomes a new regular file; anything else is refused. */
export async function targetKind(path: string): Promise<TargetKind> {
  const info = await stat(path).catch((err: unknown) => {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw openError(path, err);
  });
  if (info === undefined || info.isFile()) return 'file';
  if (info.isBlockDevice()) return 'block';
  throw new MaculaError('ERR_TARGET_UNSUPPORTED', `${path} is neither a block device nor a regular file`, { path });
}

/** macOS has no O_DIRECT: F_NOCACHE on the open descriptor is its nearest equivalent. */
async function noCacheOnMac(handle: FileHandle): Promise<void> {
  if (process.platform !== 'darwin') return;
  await new Promise<void>((resolve, reject) => directIo.setF_NOCACHE(handle.fd, 1, (e) => (e ? reject(e) : resolve())));
}

/**
 * Refuses an open descriptor that is not the block device `pinned` (the device number the elevated writer validated):
 * whatever the path named when it was checked, only what was opened counts.
 */
async function assertPinned(path: string, handle: FileHandle, pinned: bigint): Promise<void> {
  const info = await handle.stat({ bigint: true });
  if (info.isBlockDevice() && info.rdev === pinned) return;
  await handle.close().catch(() => undefined);
  throw new MaculaError('ERR_TARGET_CHANGED', `${path} is no longer the drive that was checked: refused, nothing written`, { path });
}

async function openBlock(path: string, flags: number, pinned?: bigint): Promise<OpenedTarget> {
  const nofollow = pinned !== undefined ? constants.O_NOFOLLOW : 0;
  const handle = await open(path, flags | nofollow | directIo.O_DIRECT | directIo.O_EXCL).catch((err: unknown) => {
    throw openError(path, err);
  });
  if (pinned !== undefined) await assertPinned(path, handle, pinned);
  await noCacheOnMac(handle);
  return { path, kind: 'block', handle, direct: true, sectorSize: Math.max(512, (await deviceSectorSize(path)) ?? 512) };
}

/**
 * A regular file with O_DIRECT where its filesystem supports it; where open refuses the flag with EINVAL (tmpfs before
 * Linux 6.6, some FUSE and network filesystems) the same open without it, said so in `note`.
 */
async function openFile(path: string, flags: number, fallbackNote: string): Promise<OpenedTarget> {
  try {
    const handle = await open(path, flags | directIo.O_DIRECT, 0o644);
    await noCacheOnMac(handle);
    return { path, kind: 'file', handle, direct: true, sectorSize: ALIGNMENT };
  } catch (err) {
    if (errnoOf(err) !== 'EINVAL') throw openError(path, err);
  }
  const handle = await open(path, flags, 0o644).catch((err: unknown) => {
    throw openError(path, err);
  });
  return { path, kind: 'file', handle, direct: false, sectorSize: 1, note: fallbackNote };
}

/**
 * Opens a target for writing: a block device O_WRONLY|O_DIRECT|O_EXCL (on Linux O_EXCL on a block device is an
 * exclusive open that fails with EBUSY while it is mounted or claimed), a regular file O_WRONLY|O_CREAT(|O_DIRECT).
 * No O_SYNC: the writer fsyncs once at the end. A device the kernel marks read-only is refused before opening. With
 * `pinned` (the elevated writer's targets) the path is opened O_NOFOLLOW and the descriptor must be that block device.
 */
export async function openForWrite(path: string, kind: TargetKind, pinned?: bigint): Promise<OpenedTarget> {
  switch (kind) {
    case 'block':
      if (await deviceReadOnly(path)) throw readOnlyError(path);
      return openBlock(path, constants.O_WRONLY, pinned);
    case 'file':
      if (pinned !== undefined) throw new MaculaError('ERR_TARGET_CHANGED', `${path} is no longer a block device: refused, nothing written`, { path });
      return openFile(path, constants.O_WRONLY | constants.O_CREAT, 'the filesystem refuses O_DIRECT: written through the page cache');
    default:
      return assertNever(kind);
  }
}

/**
 * Opens a target for reading back, never from the page cache: O_RDONLY|O_DIRECT (plus O_EXCL on a block device, so
 * nothing mounts it meanwhile). A regular file whose filesystem refuses O_DIRECT is read plainly after the writer's
 * fsync (on tmpfs the page cache is the storage, so this is the real content); `note` says so.
 */
export async function openForRead(path: string, kind: TargetKind): Promise<OpenedTarget> {
  switch (kind) {
    case 'block':
      return openBlock(path, constants.O_RDONLY);
    case 'file':
      return openFile(path, constants.O_RDONLY, 'the filesystem refuses O_DIRECT: read back after fsync through the page cache');
    default:
      return assertNever(kind);
  }
}
