import { inspectImage } from '../../engine/inspect/inspect-image';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** `macula inspect`: what an image file is, before anything is written. */
export const inspectCommand: Command = {
  usage: 'macula inspect IMAGE [--no-hash] [--json]',
  summary: 'show format, compression, sizes, SHA-256 and partition table of an image (compressed or not)',
  options: { 'no-hash': { type: 'boolean' } },
  async run({ args, out, signal }) {
    const path = args.positional(0, 'IMAGE');
    const report = await inspectImage(path, {
      hash: !args.flag('no-hash'),
      signal,
      onProgress: (p) => out.progress(p, 'reading'),
    });
    out.endProgress();
    if (out.json) {
      out.event('image', { ...report }, '');
      return;
    }
    const lines = [
      `${report.path}`,
      `  compression:  ${report.compression}${report.entryName ? ` (entry ${report.entryName})` : ''}, ${formatBytes(report.compressedSize)} on disk`,
      `  layout:       ${report.layout}${report.volumeId ? ` (volume ${report.volumeId})` : ''}`,
    ];
    if (report.extracted) lines.push(`  extracted:    ${formatBytes(report.extracted.size)} (${report.extracted.size} bytes)`, `  sha256:       ${report.extracted.sha256}`);
    else if (report.sizeHint !== undefined) lines.push(`  extracted:    ${formatBytes(report.sizeHint)} (from the container)`);
    if (report.partitionTable) {
      lines.push(`  partitions:   ${report.partitionTable.type}`);
      for (const p of report.partitionTable.partitions) {
        lines.push(`    ${String(p.index).padStart(2)}  start ${String(p.offset).padStart(12)}  size ${formatBytes(p.size).padStart(10)}  type ${p.type}${p.name ? `  "${p.name}"` : ''}`);
      }
    } else lines.push(`  partitions:   ${report.partitionNote ?? 'none'}`);
    out.event('image', {}, lines.join('\n'));
  },
};
