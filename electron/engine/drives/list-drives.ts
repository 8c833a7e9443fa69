import type { Drive } from '../../../shared/drive';

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

/** The drives the OS reports, in its order. */
export async function listDrives(source: DriveSource = drivelistSource): Promise<Drive[]> {
  return (await source.list()).map(toDrive);
}
