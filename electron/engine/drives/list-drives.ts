import { type Drive, isSystemDrive } from '../../../shared/drive';
import { blockNameOfNode } from './block-sysfs';
import { type SystemTable, diskUses, readSystemTable } from './system-disks';

/** A drive as `drivelist` reports it: the fields Macula uses (drivelist's `Drive` has them all). */
export interface SourceDrive {
  readonly device: string;
  readonly size: number | null;
  readonly description: string;
  readonly busType: string;
  readonly isRemovable: boolean;
  readonly isSystem: boolean;
  readonly isReadOnly: boolean;
  readonly mountpoints: readonly { readonly path: string }[];
  readonly isVirtual?: boolean | null;
}

/** Where drives come from: drivelist by default; tests and loop devices (which drivelist does not list) inject their own. */
export interface DriveSource {
  list(): Promise<readonly SourceDrive[]>;
}

/** The OS's drives through drivelist (lsblk on Linux, diskutil on macOS, WMI/SetupAPI on Windows); loaded on first use. */
export const drivelistSource: DriveSource = {
  async list() {
    const { list } = await import('drivelist');
    return list();
  },
};

/** One drivelist drive as a Macula `Drive`. */
export function toDrive(d: SourceDrive): Drive {
  return {
    device: d.device,
    size: d.size,
    description: d.description.trim(),
    busType: d.busType,
    removable: d.isRemovable,
    system: d.isSystem,
    readOnly: d.isReadOnly,
    mountpoints: d.mountpoints.map((m) => m.path),
    kind: 'disk',
    ...(d.isVirtual !== undefined && d.isVirtual !== null ? { isVirtual: d.isVirtual } : {}),
  };
}

/**
 * On Linux, what the drive holds in use as the engine reads it (mounts anywhere, swap, LVM, md, ZFS, LUKS), so the list
 * refuses a data disk in use exactly as the writer will; drivelist only knows fixed from removable. A device that is
 * not there (an injected drive) is left as the source gave it.
 */
async function withUses(drive: Drive, table: SystemTable): Promise<Drive> {
  const name = await blockNameOfNode(drive.device).catch(() => undefined);
  if (name === undefined) return drive;
  const read: Drive = { ...drive, uses: await diskUses(name, table) };
  return { ...read, system: isSystemDrive(read) };
}

/** The drives the OS reports, in its order. */
export async function listDrives(source: DriveSource = drivelistSource): Promise<Drive[]> {
  const drives = (await source.list()).map(toDrive);
  if (process.platform !== 'linux') return drives;
  const table = await readSystemTable();
  return Promise.all(drives.map((d) => withUses(d, table)));
}
