import { createHash } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import type { ImageSource } from '../source/image-source';
import { CHUNK, paddedLength } from './aligned-chunks';
import { ALIGNMENT, directIo } from './direct-io';
import { firstDifference } from './find-difference';
import { type OpenedTarget, type TargetKind, openForRead } from './open-target';
import { describeOffset, readBackError } from './write-errors';

/** What the image looked like while it was written: its length and the SHA-256 of each CHUNK. */
export interface ImageDigests {
  readonly size: number;
  readonly chunks: readonly Buffer[];
}

/** Inputs of one read-back. */
export interface VerifyTargetOptions {
  readonly source: ImageSource;
  readonly digests: ImageDigests;
  readonly signal?: AbortSignal | undefined;
  /** Called with the image bytes of each chunk once it matched. */
  readonly onVerified: (bytes: number) => void;
}

/** Reads up to `want` bytes at `position`, stopping early only at the end of the target. */
async function readFully(target: OpenedTarget, buffer: Buffer, want: number, position: number): Promise<number> {
  let got = 0;
  while (got < want) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await target.handle.read(buffer, got, want - got, position + got));
    } catch (err) {
      throw readBackError(target.path, position + got, err);
    }
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

async function mismatch(path: string, options: VerifyTargetOptions, index: number, actual: Buffer): Promise<MaculaError> {
  const start = index * CHUNK;
  const expected = options.digests.chunks[index]?.toString('hex') ?? '';
  const actualHex = createHash('sha256').update(actual).digest('hex');
  const expectedLength = Math.min(CHUNK, options.digests.size - start);
  const offset = (await firstDifference(options.source, start, actual, options.signal)) ?? start + Math.min(actual.length, expectedLength);
  const short = actual.length < expectedLength ? `; the target ends at ${start + actual.length}` : '';
  return new MaculaError(
    'ERR_VERIFY_MISMATCH',
    `${path} differs from the image at ${describeOffset(offset)} (chunk ${index}, sha256 ${actualHex} instead of ${expected}${short})`,
    { path, offset, expected, actual: actualHex },
  );
}

/**
 * Reads a written target back, never from the page cache (see openForRead), chunk by chunk, and compares each chunk's
 * SHA-256 with the one computed while writing. Equal chunk digests over the whole length mean the target holds the
 * image. The first differing chunk is compared byte by byte with the image to name the first bad offset; it throws
 * ERR_VERIFY_MISMATCH with the chunk's expected and actual hashes. Returns the open's note, if any.
 */
export async function verifyTarget(path: string, kind: TargetKind, options: VerifyTargetOptions): Promise<string | undefined> {
  const target = await openForRead(path, kind);
  const buffer = directIo.getAlignedBuffer(CHUNK, ALIGNMENT);
  try {
    const { size, chunks } = options.digests;
    for (let index = 0; index * CHUNK < size; index++) {
      if (options.signal?.aborted) throw new MaculaError('ERR_ABORTED', `verifying ${path} was cancelled`, { path });
      const length = Math.min(CHUNK, size - index * CHUNK);
      const got = await readFully(target, buffer, paddedLength(length, target.sectorSize), index * CHUNK);
      const actual = buffer.subarray(0, Math.min(got, length));
      const digest = createHash('sha256').update(actual).digest();
      if (actual.length < length || !digest.equals(chunks[index] ?? Buffer.alloc(0))) {
        throw await mismatch(path, options, index, Buffer.from(actual));
      }
      options.onVerified(length);
    }
    return target.note;
  } finally {
    await target.handle.close();
  }
}
