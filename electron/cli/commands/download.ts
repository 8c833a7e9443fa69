import { extractImage } from '../../engine/source/extract';
import { openImage } from '../../engine/source/open-image';
import { ACQUIRE_OPTIONS, ACQUIRE_USAGE, acquireFromArgs } from '../acquire-args';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** `macula download`: fetch a catalog image or URL into the cache, verified by signed sums or a given hash. */
export const downloadCommand: Command = {
  usage: `macula download ENTRY|URL ${ACQUIRE_USAGE} [--extract FILE] [--json]`,
  summary: 'download an image with resume and cache, checking its SHA-256 and the signature of SHA256SUMS',
  keepsAwake: 'Downloading a MaculaOS image',
  options: { ...ACQUIRE_OPTIONS, extract: { type: 'string' } },
  async run({ args, out, signal }) {
    const { image, entry } = await acquireFromArgs(args.positional(0, 'ENTRY or URL'), args, out, signal);

    const dest = args.string('extract');
    if (dest === undefined) return;
    const extracted = await extractImage(await openImage(image.path), dest, {
      signal,
      onProgress: (p) => out.progress(p, 'decompressing'),
      ...(entry ? { expectedSize: entry.extract_size, expectedSha256: entry.extract_sha256 } : {}),
    });
    out.endProgress();
    out.event(
      'extracted',
      { path: dest, size: extracted.size, sha256: extracted.sha256 },
      `Extracted ${formatBytes(extracted.size)} to ${dest} (sha256 ${extracted.sha256}${entry ? ', matches the catalog' : ''})`,
    );
  },
};
