import { existsSync } from 'node:fs';
import { describeRegion } from '../../../shared/drive-tools';
import { MaculaError } from '../../../shared/errors';
import { stringify } from 'yaml';
import { checkDrive } from '../../engine/drive-tools/check-drive';
import { openImage } from '../../engine/source/open-image';
import { ACQUIRE_OPTIONS, ACQUIRE_USAGE, isRemoteImage } from '../acquire-options';
import { progressTo } from '../byte-progress';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** `macula check DEV --image IMAGE|ENTRY`: read a flashed drive back and compare it with the image. */
export const checkCommand: Command = {
  usage: `macula check DEV --image IMAGE|ENTRY|URL [--json] ${ACQUIRE_USAGE}`,
  summary: 'read a flashed drive back and compare it with the image (seeded or not); names the offset and partition of a difference',
  options: { ...ACQUIRE_OPTIONS, image: { type: 'string' } },
  async run({ args, out, signal }) {
    const device = args.positional(0, 'DEV');
    const given = args.string('image');
    if (given === undefined) throw new MaculaError('ERR_USAGE', `--image is required\nusage: ${checkCommand.usage}`);
    // A catalog entry or URL is fetched and signature-checked first, as `macula flash` does.
    const remote = isRemoteImage(given, existsSync(given));
    const image = remote ? (await (await import('../acquire-args')).acquireFromArgs(given, args, out, signal)).image.path : given;
    const source = await openImage(image);
    const progress = progressTo(out, 'checking');
    const report = await checkDrive({ device, source, signal, onProgress: progress.update });
    progress.finish();
    if (report.state) {
      const s = report.state;
      const seed = s.seed ? `\n${stringify(s.seed).trimEnd()}` : '';
      out.event('state', { device, ...s }, `${device}: MACULAOS_STATE on partition ${s.partition} (${s.table.toUpperCase()}, UUID ${s.uuid || 'unreadable'}); config.yaml mode ${s.mode || '?'}${s.growpart ? ', grows on first boot' : ''} (secrets masked)${seed}`);
    }
    for (const d of report.differences) out.event('difference', { device, ...d }, `DIFFERS ${device}: ${d.message}`);
    const what = report.state ? 'the image and its seeded MACULAOS_STATE partition' : 'the image';
    out.event('checked', { ...report }, report.ok ? `OK ${device} holds ${what} (${formatBytes(report.image.size)} compared)` : `FAILED ${device}: ${report.differences.length} difference(s)`);
    if (!report.ok) {
      const [first] = report.differences;
      // Exit code 3, as `macula verify` gives for a file that is not what it should be.
      throw new MaculaError('ERR_HASH_MISMATCH', `${device} does not hold ${what}: ${first?.message ?? ''}`, { path: device, ...(first ? { offset: first.offset, field: describeRegion(first.region) } : {}) });
    }
  },
};
