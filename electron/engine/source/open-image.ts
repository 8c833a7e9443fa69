import { stat } from 'node:fs/promises';
import { assertNever } from '../../../shared/errors';
import { ioError } from './archive-error';
import { bzip2Source } from './bzip2-source';
import { detectImageFormat } from './detect';
import { gzipSource } from './gzip-source';
import type { ImageSource } from './image-source';
import { rawSource } from './raw-source';
import { xzSource } from './xz-source';
import { zipSource } from './zip-source';
import { zstdSource } from './zstd-source';

/** Tuning for `openImage`. */
export interface OpenImageOptions {
  /** xz Blocks decoded at once, each on a worker thread (1: one after the other). Default: available parallelism. */
  readonly xzThreads?: number;
}

async function sourceFor(path: string, compression: ImageSource['compression'], size: number, options: OpenImageOptions): Promise<ImageSource> {
  switch (compression) {
    case 'none':
      return rawSource(path, size);
    case 'gzip':
      return gzipSource(path, size);
    case 'xz':
      return xzSource(path, size, options.xzThreads !== undefined ? { threads: options.xzThreads } : {});
    case 'zstd':
      return zstdSource(path, size);
    case 'bzip2':
      return bzip2Source(path, size);
    case 'zip':
      return zipSource(path, size);
    default:
      return assertNever(compression);
  }
}

/**
 * Opens an image file of any supported format, chosen by its bytes (see detectImageFormat).
 * Zip archives are validated here (entry choice, unsafe names) before any byte is produced.
 */
export async function openImage(path: string, options: OpenImageOptions = {}): Promise<ImageSource> {
  const format = await detectImageFormat(path);
  const size = await stat(path).then(
    (s) => s.size,
    (err: unknown) => {
      throw ioError(path, err);
    },
  );
  const source = await sourceFor(path, format.compression, size, options);
  return format.note !== undefined ? { ...source, note: format.note } : source;
}
