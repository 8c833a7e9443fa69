import { createHash } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import type { ImageSource } from '../source/image-source';
import { readFileStream } from '../source/read-file';

/**
 * The check that makes the writer's hash the verified hash (docs/flashing.md, "Nothing unverified becomes
 * bootable"): the SHA-256 of the image file as this process read it must equal the value the caller verified (the
 * signed SHA256SUMS), or chunk 0 — written last, the part that makes a target bootable — is never written.
 *
 * A raw image read whole is the file itself, so the write's own hash pass serves. Anything else (a compressed file, a
 * raw one read only where its block map maps it, a .xz decoded out of order) is hashed by a second, sequential read of
 * the file beside the write, from the page cache in the common case (the file was just downloaded and verified).
 */
export interface SourceDigest {
  /**
   * Resolves when the file's SHA-256 equals the expected one; throws ERR_HASH_MISMATCH (or the read's error) otherwise.
   * `streamedSha256` is the write's own hash of the bytes it read, used when those bytes were the whole file.
   */
  check(streamedSha256: string | undefined): Promise<void>;
  /** Stops a file read still under way (the write ended early). */
  close(): void;
}

function mismatch(source: ImageSource, expected: string, actual: string): MaculaError {
  return new MaculaError(
    'ERR_HASH_MISMATCH',
    `${source.path} does not hash to the verified SHA-256 (the file changed after it was verified): the write was stopped before its first MiB, so the target will not boot`,
    { path: source.path, expected, actual },
  );
}

/** A SHA-256 of the whole file, read sequentially alongside the write. */
function hashFileAside(path: string): { readonly digest: Promise<string>; stop(): void } {
  // A file still being downloaded is hashed as it grows, to the end its downloader gives (growing-file.ts).
  const input = readFileStream(path);
  const hash = createHash('sha256');
  const digest = new Promise<string>((resolve, reject) => {
    input.on('data', (bytes) => hash.update(bytes));
    input.on('end', () => resolve(hash.digest('hex')));
    input.on('error', (err) => reject(new MaculaError('ERR_IO', `cannot read ${path} to check its SHA-256: ${err.message}`, { path }, { cause: err })));
  });
  // A write that ends early never awaits the digest: its rejection must not go unhandled.
  digest.catch(() => undefined);
  return { digest, stop: () => input.destroy() };
}

/**
 * The check for `expectedSha256` (undefined: nothing to check, no cost). `streamCoversFile` says whether the write's
 * own hash pass reads the whole file as it is (a raw image, not read sparsely, not decoded out of order).
 */
export function sourceDigest(source: ImageSource, expectedSha256: string | undefined, streamCoversFile: boolean): SourceDigest | undefined {
  if (expectedSha256 === undefined) return undefined;
  const expected = expectedSha256.toLowerCase();
  const aside = streamCoversFile ? undefined : hashFileAside(source.path);
  return {
    async check(streamedSha256) {
      const actual = aside ? await aside.digest : streamedSha256;
      if (actual === undefined) throw new MaculaError('ERR_HASH_MISMATCH', `the SHA-256 of ${source.path} is unknown: it was not read to its end`, { path: source.path, expected });
      if (actual !== expected) throw mismatch(source, expected, actual);
    },
    close: () => aside?.stop(),
  };
}
