import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PublicKey } from 'openpgp';
import { MaculaError } from '../../../shared/errors';
import { lookupSha256, parseSha256Sums, type Sha256Entry, type Sha256Sums } from '../../../shared/sha256sums';
import { HashingStream } from '../io/hashing-stream';
import { verifyDetachedSignature, type SignatureCheck } from './signature';

/** A SHA256SUMS file whose detached signature was checked before it was parsed. */
export interface SignedSums {
  readonly sums: Sha256Sums;
  readonly signer: SignatureCheck;
}

/** Options of {@link verifySignedSums}. */
export interface VerifySignedSumsOptions {
  /** The SHA256SUMS bytes exactly as downloaded: the signature covers bytes, not decoded text. */
  readonly sums: Uint8Array;
  readonly signature: Uint8Array | undefined;
  readonly keys: readonly PublicKey[];
}

/** The digest of a local file and its length. */
export interface FileDigest {
  readonly sha256: string;
  readonly bytes: number;
}

/** Verifies the signature over SHA256SUMS, then parses it; nothing in the file is read before it is trusted. */
export async function verifySignedSums(options: VerifySignedSumsOptions): Promise<SignedSums> {
  const signer = await verifyDetachedSignature({ data: options.sums, signature: options.signature, keys: options.keys });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(options.sums);
  } catch (cause) {
    throw new MaculaError('ERR_SUMS_MALFORMED', 'SHA256SUMS is not valid UTF-8 text', {}, { cause });
  }
  return { sums: parseSha256Sums(text), signer };
}

/**
 * Compares the SHA-256 of image `name`, computed while it streamed in, with its entry in the signed sums.
 * Returns the matching entry; a different hash → ERR_HASH_MISMATCH with expected and actual.
 */
export function verifyImageAgainstSums(options: { name: string; sha256: string; signedSums: SignedSums }): Sha256Entry {
  const entry = lookupSha256(options.signedSums.sums, options.name);
  // Entries are lower-case (parseSha256Sums normalises); Node's hex digests are too, but a caller's may not be.
  const actual = options.sha256.toLowerCase();
  if (actual !== entry.sha256) {
    throw new MaculaError(
      'ERR_HASH_MISMATCH',
      `SHA-256 of ${options.name} does not match SHA256SUMS: expected ${entry.sha256}, got ${options.sha256}`,
      { expected: entry.sha256, actual: options.sha256, path: options.name },
    );
  }
  return entry;
}

/** SHA-256 of a local file in one streaming pass, for `macula verify FILE`; abortable with `signal`. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<FileDigest> {
  const hasher = new HashingStream();
  const discard = new Writable({ write: (_chunk, _enc, done) => done() });
  try {
    await pipeline(createReadStream(path), hasher, discard, signal ? { signal } : {});
  } catch (cause) {
    if (signal?.aborted) throw new MaculaError('ERR_ABORTED', `hashing ${path} was cancelled`, { path }, { cause });
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new MaculaError('ERR_IO', `cannot read ${path}: ${reason}`, { path }, { cause });
  }
  return { sha256: hasher.digest(), bytes: hasher.bytes };
}
