import { restoreFsSchema, restoreLabelSchema } from '../../../shared/drive-tools';
import { formatSize } from '../../../shared/drive';
import { MaculaError } from '../../../shared/errors';
import { assertWritable } from '../../engine/drives/check-target';
import { restoreDrive } from '../../engine/drive-tools/restore-drive';
import type { Command } from '../command';
import { confirm } from '../confirm';
import { isPrivileged } from '../elevation';

/** `macula restore DEV --yes`: one FAT32/exFAT partition over the whole drive, old tables and signatures wiped. */
export const restoreCommand: Command = {
  usage: 'macula restore DEV --yes [--fs fat32|exfat] [--label NAME] [--json]',
  summary: 'wipe a stick (both GPTs, the MBR, filesystem signatures) and give it one FAT32 (≤ 32 GiB) or exFAT partition',
  options: { yes: { type: 'boolean' }, fs: { type: 'string' }, label: { type: 'string' } },
  async run({ args, out }) {
    const device = args.positional(0, 'DEV');
    const fsArg = args.string('fs');
    const fs = fsArg === undefined ? undefined : restoreFsSchema.safeParse(fsArg).data;
    if (fsArg !== undefined && fs === undefined) throw new MaculaError('ERR_USAGE', `--fs takes fat32 or exfat, not "${fsArg}"`);
    const labelArg = args.string('label');
    const label = labelArg === undefined ? undefined : restoreLabelSchema.safeParse(labelArg);
    if (label && !label.success) throw new MaculaError('ERR_USAGE', `--label: ${label.error.issues[0]?.message ?? 'invalid'}`, { field: 'label' });
    // Formatting runs in this process, so it needs the rights the elevated writer has (docs/drive-tools.md).
    if (!isPrivileged()) throw new MaculaError('ERR_TARGET_ACCESS_DENIED', `restoring ${device} needs root: run it with sudo`, { path: device });
    // The same checks and question as `macula flash`, before anything is written.
    const check = await assertWritable(device);
    for (const w of check.warnings) out.event('warning', { target: device, reason: w.reason, message: w.message }, `warning: ${device}: ${w.message}`);
    if (!args.flag('yes')) {
      if (!process.stdin.isTTY) throw new MaculaError('ERR_USAGE', 'restoring erases the drive: confirm with --yes when not on a terminal');
      const line = `  ${check.drive.device}  ${check.drive.size === null ? 'size unknown' : formatSize(check.drive.size)}  ${check.drive.description || '(no model)'}`;
      if (!(await confirm(`This ERASES everything on:\n${line}\nType "yes" to restore it: `))) throw new MaculaError('ERR_USAGE', 'not confirmed; nothing was written');
    }
    const result = await restoreDrive({ device, ...(fs ? { fs } : {}), ...(label?.data !== undefined ? { label: label.data } : {}) });
    out.event(
      'restored',
      { ...result },
      `OK ${device}: one ${result.fs === 'fat32' ? 'FAT32' : 'exFAT'} partition "${result.label}" of ${formatSize(result.partitionSize)} at 1 MiB; old tables and signatures wiped`,
    );
  },
};
