import { createHash } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import type { BytePatch } from '../seed/partition-plan';
import type { ImageSource } from '../source/image-source';
import type { ChunkPool } from './aligned-chunks';
import { firstDifference } from './find-difference';
import { type OpenedTarget, type TargetKind, openForRead } from './open-target';
import { withOriginals } from './original-bytes';
import { readWindows } from './read-back';
import { describeOffset } from './write-errors';

/** What the image looked like while it was written: its length and its SHA-256 (hex). */
export interface ImageDigest {
  readonly size: number;
  readonly sha256: string;
}

/** Inputs of one read-back. */
export interface VerifyTargetOptions {
  readonly source: ImageSource;
  readonly image: ImageDigest;
  /** Aligned buffers for the reads (the write's pool, idle by now). */
  readonly pool: ChunkPool;
  readonly signal?: AbortSignal | undefined;
  /** Called with the image bytes of each chunk once it is read and handed to the hasher. */
  readonly onVerified: (bytes: number) => void;
  /** A seeded target's table sectors: the image's bytes there, put back before hashing (see original-bytes.ts). */
  readonly originals?: readonly BytePatch[] | undefined;
}

/** Reads in flight while the read-back is hashed; enough to keep the device busy while a chunk is copied out. */
export const READ_DEPTH = 3;

/** What naming the first bad byte needs: the image again, and the target's bytes as the read-back saw them. */
export type MismatchInputs = Pick<VerifyTargetOptions, 'source' | 'pool' | 'signal' | 'originals'> & { readonly size: number };

/**
 * After the hashes differ (`expected`, `actual`: of the whole image, or of the chunk found bad): the first offset where
 * the target differs from the image, found by streaming the image again (a compressed image is decompressed again:
 * this runs only after a mismatch) beside a second read-back. `read`: bytes the first read-back got.
 */
export async function mismatch(target: OpenedTarget, options: MismatchInputs, expected: string, actual: string, read: number): Promise<MaculaError> {
  const { path } = target;
  const { size } = options;
  const image = options.source.createReadStream(options.signal) as AsyncIterable<Buffer>;
  const offset = await firstDifference(image, withOriginals(readWindows(target, size, options.pool, 2), options.originals));
  if (offset === undefined) {
    const message = `${path} read back with sha256 ${actual} instead of ${expected}, yet compared byte by byte it matches the image: the image or the target changed while it was checked`;
    return new MaculaError('ERR_VERIFY_MISMATCH', message, { path, expected, actual });
  }
  const short = read < size ? `; the target ends at ${read}` : '';
  const message = `${path} differs from the image at ${describeOffset(offset)} (sha256 ${actual} instead of ${expected}${short})`;
  return new MaculaError('ERR_VERIFY_MISMATCH', message, { path, offset, expected, actual });
}

/**
 * Reads a written target back, never from the page cache (see openForRead), several reads in flight, and computes the
 * SHA-256 of its first `size` bytes; equal to the image's SHA-256 (computed while writing) means
 * the target holds the image. Otherwise the image and the target are compared side by side to name the first bad byte:
 * ERR_VERIFY_MISMATCH with its offset and both hashes. Returns the open's note, if any.
 */
export async function verifyTarget(path: string, kind: TargetKind, options: VerifyTargetOptions): Promise<string | undefined> {
  const target = await openForRead(path, kind);
  // SHA-256 on this thread, while the next reads are in flight on the threadpool, not on a worker: a worker thread
  // costs ≈ 12 MiB of resident memory (its batches 5 MiB more), a sixth of the 100 MB a flash may use (issue 3), and
  // hashing here (OpenSSL with SHA-NI, ≈ 2 GB/s on one core) is five times a USB3 stick's read rate; measured on the
  // bench's 2-core machine, raw write + verify of 512 MiB took 0.71–0.77 s against 0.80–0.94 s with workers.
  const hash = createHash('sha256');
  try {
    let read = 0;
    for await (const bytes of withOriginals(readWindows(target, options.image.size, options.pool, READ_DEPTH), options.originals)) {
      if (options.signal?.aborted) throw new MaculaError('ERR_ABORTED', `verifying ${path} was cancelled`, { path });
      hash.update(bytes);
      read += bytes.length;
      options.onVerified(bytes.length);
    }
    const actual = hash.digest('hex');
    if (read === options.image.size && actual === options.image.sha256) return target.note;
    throw await mismatch(target, { ...options, size: options.image.size }, options.image.sha256, actual, read);
  } finally {
    await target.handle.close();
  }
}
