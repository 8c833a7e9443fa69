import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Drive, isSystemDrive } from '../../../shared/drive';
import { MaculaError } from '../../../shared/errors';
import {
  blockNameOf,
  devNumber,
  diskOf,
  isVirtualBlock,
  loopBackingFile,
  partitionsOf,
  readBlockAttr,
} from './block-sysfs';
import { readMountTable } from './mount-table';
import { diskUses } from './system-disks';
import { loopReadOnly, lsblk, lsblkMountpoints } from './util-linux';

/** sysfs `size` counts 512-byte sectors whatever the device's logical block size (include/linux/types.h, SECTOR_SHIFT). */
const SECTOR = 512;

function isNotFound(e: unknown): boolean {
  return e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR');
}

async function describeFile(path: string, size: number): Promise<Drive> {
  const writable = await access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
  return {
    device: path,
    size,
    description: `file ${basename(path)}`,
    busType: 'file',
    removable: false,
    system: false,
    readOnly: !writable,
    mountpoints: [],
    kind: 'file',
  };
}

/** Where the disk and its partitions are mounted: lsblk's view, cross-checked against this process's mountinfo. */
async function mountpointsOf(disk: string, fromLsblk: readonly string[]): Promise<string[]> {
  const names = [disk, ...(await partitionsOf(disk))];
  const devNos = new Set<string>();
  for (const name of names) {
    const dev = await readBlockAttr(name, 'dev');
    if (dev !== undefined) devNos.add(dev);
  }
  const mounted = (await readMountTable()).filter((m) => devNos.has(m.devNo)).map((m) => m.mountPoint);
  return [...new Set([...fromLsblk, ...mounted])];
}

async function describeBlockDevice(device: string, name: string): Promise<Drive> {
  const disk = await diskOf(name);
  if (disk !== name) {
    throw new MaculaError('ERR_TARGET_UNSUPPORTED', `${device} is a partition; give the whole disk /dev/${disk}`, { path: device });
  }
  const info = await lsblk(device);
  // 0 is a real answer (a card reader without a card, an unbound loop); only an unreadable attribute is unknown.
  const sectors = Number(await readBlockAttr(name, 'size'));
  const size = Number.isFinite(sectors) ? sectors * SECTOR : (info?.size ?? null);
  const backing = await loopBackingFile(name);
  // A loop attached with `losetup -r` shows in sysfs `ro` too; losetup is asked as well in case sysfs lags.
  const readOnly =
    info?.ro === true || (await readBlockAttr(name, 'ro')) === '1' || (backing !== undefined && (await loopReadOnly(device)) === true);
  const removable = info?.rm === true || (await readBlockAttr(name, 'removable')) === '1';
  const model = info?.model?.trim() || (await readBlockAttr(name, 'device/model')) || '';
  const drive: Drive = {
    device,
    size,
    description: backing !== undefined ? `loop device on ${backing}` : model,
    busType: info?.tran ? info.tran.toUpperCase() : 'UNKNOWN',
    removable,
    system: false,
    readOnly,
    mountpoints: await mountpointsOf(name, info ? lsblkMountpoints(info) : []),
    kind: 'disk',
    isVirtual: await isVirtualBlock(name),
    uses: await diskUses(name),
  };
  return { ...drive, system: isSystemDrive(drive) };
}

/**
 * Describes a target named on the command line: a whole-disk block device (lsblk + sysfs + mountinfo) or a regular
 * file. A missing path is ERR_TARGET_NOT_FOUND; a partition, directory or character device ERR_TARGET_UNSUPPORTED.
 */
export async function describeTarget(path: string): Promise<Drive> {
  let resolved: string;
  try {
    resolved = await realpath(path);
  } catch (e) {
    if (isNotFound(e)) throw new MaculaError('ERR_TARGET_NOT_FOUND', `target ${path} does not exist`, { path }, { cause: e });
    throw e;
  }
  const st = await stat(resolved, { bigint: true });
  if (st.isFile()) return describeFile(resolved, Number(st.size));
  const name = st.isBlockDevice() ? await blockNameOf(devNumber(st.rdev)) : undefined;
  if (name === undefined) {
    throw new MaculaError('ERR_TARGET_UNSUPPORTED', `target ${path} is neither a block device nor a regular file`, { path });
  }
  return describeBlockDevice(resolved, name);
}
