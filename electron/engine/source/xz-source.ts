import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { createUnxz } from 'node-liblzma';
import { MaculaError } from '../../../shared/errors';
import { archiveError, destroyOnAbort } from './archive-error';
import { decodedStream } from './decoded-stream';
import type { ImageSource } from './image-source';
import { readFileStream } from './read-file';
import { FOOTER_MAGIC } from './xz/xz-format';
import { readXzIndex, type XzIndex } from './xz/xz-index';
import { XzParallelReadable } from './xz/xz-parallel-readable';
import { xzWorkerLauncher } from './xz/xz-worker-pool';

/** Blocks larger than this (either size) go to the streaming decoder, to keep 2 × pool Blocks in memory affordable. */
const MAX_PARALLEL_BLOCK = 256 << 20;
/** Output chunk of the streaming decoder: large chunks keep liblzma busy instead of the JS glue (measured 64 KiB → 4 MiB: −10 %). */
const STREAM_CHUNK = 4 << 20;

/** Options for xz decoding. */
export interface XzSourceOptions {
  /** Worker threads for multi-Block files; 0 forces the single-threaded streaming decoder. Default: available parallelism. */
  readonly threads?: number;
}

function canDecodeInParallel(index: XzIndex, threads: number): boolean {
  if (threads < 1 || index.blocks.length < 2) return false;
  return index.blocks.every((b) => b.uncompressedSize <= MAX_PARALLEL_BLOCK && b.unpaddedSize <= MAX_PARALLEL_BLOCK);
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

/**
 * An xz image (The .xz File Format 1.0.4). The Index at the end is read first: it gives the decoded size and each
 * Block's place, so multi-Block files decode on a worker pool, and a file whose Index does not check out is refused
 * (liblzma's streaming decoder would otherwise end quietly on a truncated file). Single-Block files stream through
 * liblzma with their length checked against the Index.
 */
export async function xzSource(path: string, compressedSize: number, options: XzSourceOptions = {}): Promise<ImageSource> {
  const index = await readXzIndex(path).catch(() => undefined);
  const refusal = index ? undefined : await indexFailure(path);
  const threads = options.threads ?? Math.max(1, availableParallelism());
  const launch = xzWorkerLauncher();
  const parallel = index !== undefined && launch !== undefined && canDecodeInParallel(index, threads);
  return {
    path,
    compression: 'xz',
    compressedSize,
    ...(index ? { sizeHint: index.uncompressedSize } : {}),
    createReadStream(signal) {
      if (refusal || !index) return failedStream(refusal ?? new Error('unreachable'));
      if (parallel) {
        const stream = new XzParallelReadable({ path, blocks: index.blocks, threads, launch });
        destroyOnAbort(stream, path, signal);
        return stream;
      }
      return decodedStream({
        path,
        input: readFileStream(path),
        decoder: createUnxz({ chunkSize: STREAM_CHUNK }),
        mapError: (err, inputEnded) => archiveError('xz', path, err, !inputEnded),
        signal,
        expectedLength: index.uncompressedSize,
      });
    },
  };
}
