import { type Drive, classifyDrive } from '../../../shared/drive';
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

/** `macula drives`: the drives an image could be written to; system drives only with --all, and marked. */
export const drivesCommand: Command = {
  usage: 'macula drives [--all] [--json]',
  summary: 'list the drives (USB sticks, SD cards, disks) an image can be written to; --all includes system drives',
  options: { all: { type: 'boolean' } },
  async run({ args, out }) {
    const all = args.flag('all');
    const drives = await listDrives();
    const shown = all ? drives : drives.filter((d) => !d.system);
    for (const drive of shown) {
      const { refusals, warnings } = classifyDrive(drive);
      const notes = [...refusals, ...warnings].map((n) => `\n    ${n.reason}: ${n.message}`).join('');
      out.event('drive', { ...drive, refusals, warnings }, `${driveLine(drive)}${notes}`);
    }
    const hidden = drives.length - shown.length;
    if (hidden > 0) {
      const message = `${hidden} system drive${hidden === 1 ? '' : 's'} hidden; --all shows ${hidden === 1 ? 'it' : 'them'}`;
      out.event('notice', { message, hidden }, `note: ${message}`);
    } else if (shown.length === 0) out.event('notice', { message: 'no drives found', hidden: 0 }, 'no drives found');
  },
};
