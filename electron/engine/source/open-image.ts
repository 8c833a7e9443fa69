import { stat } from 'node:fs/promises';
import { MaculaError, assertNever } from '../../../shared/errors';
import { ioError } from './archive-error';
import { detectImageFormat } from './detect';
import type { ImageSource } from './image-source';
import { growthOf } from './growing-file';
import { rawSource } from './raw-source';

/** Tuning for `openImage`. */
export interface OpenImageOptions {
  /** xz Blocks decoded at once, each on a worker thread (1: one after the other). Default: available parallelism. */
  readonly xzThreads?: number;
}

/**
 * The source of one format. Each compressed format's module is imported only when an image of that format is opened:
 * their npm packages cost resident memory once loaded (yauzl ≈ 12 MiB, node-liblzma and zstd-napi ≈ 3.5 MiB each,
 * measured with `/usr/bin/time` on `node -e "await import(…)"`), and a flash holds only one image.
 */
async function sourceFor(path: string, compression: ImageSource['compression'], size: number, options: OpenImageOptions, rawSize: number | undefined): Promise<ImageSource> {
  switch (compression) {
    case 'none':
      return rawSource(path, rawSize);
    case 'gzip':
      return (await import('./gzip-source')).gzipSource(path, size);
    case 'xz':
      // While it downloads, an .xz has no Index to read yet: one sequential decoder (xz-stream-source.ts).
      if (growthOf(path)) return (await import('./xz-stream-source')).xzGrowingSource(path, size);
      return (await import('./xz-source')).xzSource(path, size, options.xzThreads !== undefined ? { threads: options.xzThreads } : {});
    case 'zstd':
      return (await import('./zstd-source')).zstdSource(path, size);
    case 'bzip2':
      return (await import('./bzip2-source')).bzip2Source(path, size);
    case 'zip':
      return (await import('./zip-source')).zipSource(path, size);
    default:
      return assertNever(compression);
  }
}

/**
 * Formats that can be read while the file is still being downloaded: decoded front to back (an .xz then by one
 * sequential decoder, its Index being at the end). A zip is read from its central directory at the end: it waits for
 * the whole file.
 */
export const STREAMABLE: ReadonlySet<ImageSource['compression']> = new Set(['none', 'gzip', 'zstd', 'bzip2', 'xz']);

/**
 * Opens an image file of any supported format, chosen by its bytes (see detectImageFormat).
 * Zip archives are validated here (entry choice, unsafe names) before any byte is produced.
 */
export async function openImage(path: string, options: OpenImageOptions = {}): Promise<ImageSource> {
  const format = await detectImageFormat(path);
  const onDisk = await stat(path).then(
    (s) => s.size,
    (err: unknown) => {
      throw ioError(path, err);
    },
  );
  const growth = growthOf(path);
  if (growth && !STREAMABLE.has(format.compression)) {
    throw new MaculaError('ERR_USAGE', `${format.compression} images cannot be read while they download (their index is at the end): download first`, { path });
  }
  // A file being downloaded is as large as its server announced; its reads wait for the bytes (growing-file.ts).
  const size = growth ? (growth.expectedSize ?? 0) : onDisk;
  const rawSize = growth ? growth.expectedSize : onDisk;
  const source = await sourceFor(path, format.compression, size, options, rawSize);
  return format.note !== undefined ? { ...source, note: format.note } : source;
}
