import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { MaculaError } from '../../../shared/errors';
import { archiveError } from './archive-error';
import { type ImageReader, readerStream } from './image-reader';
import type { ImageSource } from './image-source';
import { FOOTER_MAGIC } from './xz/xz-format';
import { readXzIndex } from './xz/xz-index';
import { XZ_PIECE, XzParallelDecoder } from './xz/xz-parallel-decoder';
import { XzPlacedDecoder } from './xz/xz-placed-decoder';
import { xzWorkerLauncher } from './xz/xz-worker-lane';

/** Options for xz decoding. */
export interface XzSourceOptions {
  /** Blocks decoded at once, each on a worker thread of its own; 1 decodes them one after the other. Default: available parallelism. */
  readonly threads?: number;
}

/** Why an .xz file has no readable Index: it ends early (no Stream Footer magic "YZ", §2.1.2.4), or it is damaged. */
async function indexFailure(path: string): Promise<MaculaError> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const tail = Buffer.alloc(2);
    if (size >= 2) await fh.read(tail, 0, 2, size - 2);
    const hasFooter = size % 4 === 0 && tail[0] === FOOTER_MAGIC[0] && tail[1] === FOOTER_MAGIC[1];
    const why = new Error(hasFooter ? 'its index is damaged' : 'no stream footer: the file was cut short');
    return archiveError('xz', path, why, !hasFooter);
  } finally {
    await fh.close();
  }
}

function failedStream(error: Error): Readable {
  const stream = new Readable({ read() {} });
  process.nextTick(() => stream.destroy(error));
  return stream;
}

function failedReader(error: Error): ImageReader {
  return { read: () => Promise.reject(error), close: () => Promise.resolve() };
}

/**
 * An xz image (The .xz File Format 1.0.4). The Index at the end is read first: it gives the decoded size and each
 * Block's place, so Blocks decode on several cores at once and each is checked against its Index Record, and a file
 * whose Index does not check out is refused (a streaming decoder would end quietly on a truncated file). A single-Block
 * file is the same with one lane. A multi-Block file can also be decoded out of order, each Block to its place
 * (`openPlaced`); a single-Block one has nothing to gain from it.
 */
export async function xzSource(path: string, compressedSize: number, options: XzSourceOptions = {}): Promise<ImageSource> {
  const index = await readXzIndex(path).catch(() => undefined);
  const refusal = index ? undefined : await indexFailure(path);
  const lanes = Math.max(1, options.threads ?? availableParallelism());
  const launch = xzWorkerLauncher();
  return {
    path,
    compression: 'xz',
    compressedSize,
    ...(index ? { sizeHint: index.uncompressedSize } : {}),
    createReadStream(signal) {
      if (refusal || !index) return failedStream(refusal ?? new Error('unreachable'));
      return readerStream(new XzParallelDecoder({ path, blocks: index.blocks, lanes, launch }), XZ_PIECE, path, signal);
    },
    openReader(signal) {
      if (refusal || !index) return failedReader(refusal ?? new Error('unreachable'));
      return new XzParallelDecoder({ path, blocks: index.blocks, lanes, launch, signal });
    },
    ...(index && index.blocks.length > 1 ? { openPlaced: (signal?: AbortSignal) => new XzPlacedDecoder({ path, blocks: index.blocks, lanes, signal }) } : {}),
  };
}
