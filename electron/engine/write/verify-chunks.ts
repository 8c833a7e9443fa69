import { createHash } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import type { BytePatch } from '../seed/partition-plan';
import type { ImageSource } from '../source/image-source';
import { CHUNK, type ChunkPool } from './aligned-chunks';
import { openForRead, type TargetKind } from './open-target';
import { withOriginals } from './original-bytes';
import { type ChunkDigests, DIGEST } from './place-image';
import { readWindows } from './read-back';
import { mismatch, READ_DEPTH } from './verify-target';

/** Inputs of the read-back of an image written out of order. */
export interface VerifyChunksOptions {
  readonly source: ImageSource;
  readonly size: number;
  /** Each chunk's SHA-256 as it was written (place-image.ts); undefined: only hash the image, compare nothing. */
  readonly digests: ChunkDigests | undefined;
  readonly pool: ChunkPool;
  readonly signal?: AbortSignal | undefined;
  readonly onVerified: (bytes: number) => void;
  /** A seeded target's table sectors: the image's bytes there, put back before hashing (see original-bytes.ts). */
  readonly originals?: readonly BytePatch[] | undefined;
}

/** What the read-back found: the open's note, and the SHA-256 of the image as the target holds it. */
export interface ChunksRead {
  readonly note: string | undefined;
  readonly sha256: string;
}

/**
 * Reads a target written out of order back (never from the page cache, several reads in flight) and checks each chunk
 * against the SHA-256 taken when it was written, while hashing the whole read-back: once every chunk matched, that hash
 * is the image's SHA-256 (no pass over the image in order happened while writing). The first bad chunk stops the
 * read-back, and the image is compared with the target to name the first bad byte: ERR_VERIFY_MISMATCH with its offset
 * and the chunk's two hashes. Both hashes run on this thread while the next reads are in flight (see verify-target.ts):
 * hashing the whole read-back on a worker instead saved little (0.55–0.59 s against 0.59–0.61 s for the bench's
 * 512 MiB) and its thread (≈ 12 MiB) raised the flash's peak, the decoders' memory not being given back to the system.
 */
export async function verifyChunks(path: string, kind: TargetKind, options: VerifyChunksOptions): Promise<ChunksRead> {
  const { size, digests, signal } = options;
  const target = await openForRead(path, kind);
  const hash = createHash('sha256');
  try {
    let read = 0;
    for await (const bytes of withOriginals(readWindows(target, size, options.pool, READ_DEPTH), options.originals)) {
      if (signal?.aborted) throw new MaculaError('ERR_ABORTED', `verifying ${path} was cancelled`, { path });
      hash.update(bytes);
      if (digests) {
        const chunk = read / CHUNK; // every window but the last is a whole chunk
        const expected = digests.subarray(chunk * DIGEST, (chunk + 1) * DIGEST);
        const actual = createHash('sha256').update(bytes).digest();
        if (!actual.equals(expected)) throw await mismatch(target, options, expected.toString('hex'), actual.toString('hex'), read + bytes.length);
      }
      read += bytes.length;
      options.onVerified(bytes.length);
    }
    const sha256 = hash.digest('hex');
    if (read < size) throw new MaculaError('ERR_VERIFY_MISMATCH', `${path} ends at ${read}, before the image's ${size} bytes`, { path, offset: read });
    return { note: target.note, sha256 };
  } finally {
    await target.handle.close();
  }
}
