import { type Drive, type DriveVerdict, classifyDrive } from '../../../shared/drive';
import { checkTarget } from '../../engine/drives/check-target';
import { listDrives } from '../../engine/drives/list-drives';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** One drive as a text line: device, size, model, bus, flags, mountpoints. */
function driveLine(drive: Drive): string {
  const flags = [drive.system && 'SYSTEM', drive.removable && 'removable', drive.readOnly && 'read-only', drive.isVirtual && 'virtual']
    .filter((f): f is string => typeof f === 'string')
    .join(', ');
  return [
    drive.device.padEnd(14),
    (drive.size === null ? 'size unknown' : formatBytes(drive.size)).padStart(12),
    ` ${drive.description || '(no model)'}`,
    ` [${drive.busType}${flags ? `; ${flags}` : ''}]`,
    drive.mountpoints.length > 0 ? ` mounted at ${drive.mountpoints.join(', ')}` : '',
  ].join('');
}

/**
 * `macula drives`: the drives an image could be written to; system drives only with --all, and marked. Devices named
 * on the command line (loop devices, which drivelist does not list) are described and checked as `flash --to` would.
 */
export const drivesCommand: Command = {
  usage: 'macula drives [--all] [--json] [DEV …]',
  summary: 'list the drives (USB sticks, SD cards, disks) an image can be written to; --all includes system drives',
  options: { all: { type: 'boolean' } },
  async run({ args, out }) {
    const all = args.flag('all');
    const listed = (await listDrives()).map((drive) => ({ drive, ...classifyDrive(drive) }));
    const named = args.positionals.filter((p) => !listed.some((l) => l.drive.device === p));
    const checked: ({ drive: Drive } & DriveVerdict)[] = [...listed];
    for (const path of new Set(named)) checked.push(await checkTarget(path));
    const shown = all ? checked : checked.filter((c) => !c.drive.system);
    for (const { drive, refusals, warnings } of shown) {
      const notes = [...refusals, ...warnings].map((n) => `\n    ${n.reason}: ${n.message}`).join('');
      out.event('drive', { ...drive, refusals, warnings }, `${driveLine(drive)}${notes}`);
    }
    const hidden = checked.length - shown.length;
    if (hidden > 0) {
      const message = `${hidden} system drive${hidden === 1 ? '' : 's'} hidden; --all shows ${hidden === 1 ? 'it' : 'them'}`;
      out.event('notice', { message, hidden }, `note: ${message}`);
    } else if (shown.length === 0) out.event('notice', { message: 'no drives found', hidden: 0 }, 'no drives found');
  },
};
