import { MaculaError } from '../../../shared/errors';
import { cloneDrive } from '../../engine/drive-tools/clone-drive';
import { progressTo } from '../byte-progress';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** `macula clone DEV --out FILE`: back a drive up into a (compressed) image. */
export const cloneCommand: Command = {
  usage: 'macula clone DEV --out FILE[.img|.xz|.zst|.gz] [--bmap] [--whole] [--json]',
  summary: 'back a drive up into an image (xz/zstd on every core, or gzip, or raw), up to its last partition unless --whole',
  options: { out: { type: 'string' }, bmap: { type: 'boolean' }, whole: { type: 'boolean' } },
  async run({ args, out, signal }) {
    const device = args.positional(0, 'DEV');
    const file = args.string('out');
    if (file === undefined) throw new MaculaError('ERR_USAGE', `--out is required\nusage: ${cloneCommand.usage}`);
    const progress = progressTo(out, 'cloning');
    const result = await cloneDrive({ device, out: file, whole: args.flag('whole'), bmap: args.flag('bmap'), signal, onProgress: progress.update });
    progress.finish();
    const extent = result.partitionsOnly ? 'up to the end of its last partition' : 'all of it';
    const bmap = result.bmap ? `; block map ${result.bmap}` : '';
    out.event(
      'cloned',
      { ...result },
      `OK ${device} → ${file}: ${formatBytes(result.size)} (${result.size} bytes, ${extent}), sha256 ${result.sha256}; ${formatBytes(result.compressedSize)} written (${result.compression})${bmap}`,
    );
  },
};
