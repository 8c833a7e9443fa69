import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMaculaError, MaculaError } from '../../../shared/errors';
import type { ByteProgress, ProgressListener } from '../../../shared/progress';
import { HashingStream } from '../io/hashing-stream';
import { ProgressMeter } from '../io/progress-meter';
import { abortedError } from './archive-error';
import type { ImageSource } from './image-source';

/** Options for extracting or hashing an image. */
export interface ExtractOptions {
  readonly onProgress?: ProgressListener | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Uncompressed size the image must have (ERR_SIZE_MISMATCH otherwise, as soon as more bytes come out). */
  readonly expectedSize?: number | undefined;
  /** SHA-256 (hex) the uncompressed image must have (ERR_HASH_MISMATCH otherwise). */
  readonly expectedSha256?: string | undefined;
}

/** Size and SHA-256 of the decompressed image. */
export interface ExtractResult {
  readonly size: number;
  readonly sha256: string;
}

/**
 * The most bytes the image may decode to: the size promised (catalog `extract_size`), else the size the container
 * records reliably (ImageSource.sizeHint). A decoder that produces more is stopped at once: a decompression bomb
 * (1 GiB of zeros is 150 KiB of .xz) must not fill the disk before the size check at the end could refuse it.
 */
function decodedCap(source: ImageSource, opts: ExtractOptions): number | undefined {
  const declared = opts.expectedSize;
  if (declared !== undefined && source.sizeHint !== undefined && source.sizeHint !== declared) {
    // The container (zip header, xz index) already says the image is not the one promised: refuse before decoding.
    throw new MaculaError('ERR_SIZE_MISMATCH', `image in ${source.path} records ${source.sizeHint} bytes, expected ${declared}`, {
      path: source.path,
      expected: declared,
      actual: source.sizeHint,
    });
  }
  return declared ?? source.sizeHint;
}

function pastCap(source: ImageSource, cap: number, seen: number): MaculaError {
  return new MaculaError(
    'ERR_SIZE_MISMATCH',
    `image in ${source.path} decodes to more than the declared ${cap} bytes (stopped after ${seen}): damaged, or a decompression bomb`,
    { path: source.path, expected: cap, actual: seen },
  );
}

/** Streams the decompressed image through a size guard, the hasher and a progress tap into `sink`. */
async function drain(source: ImageSource, sink: Writable, phase: ByteProgress['phase'], opts: ExtractOptions): Promise<ExtractResult> {
  if (opts.signal?.aborted) throw abortedError(source.path);
  const cap = decodedCap(source, opts);
  const meter = new ProgressMeter(phase, opts.onProgress, source.sizeHint ?? opts.expectedSize);
  const hasher = new HashingStream();
  let seen = 0;
  // Ahead of the hasher and the sink, so not one byte past the cap is hashed or written.
  const guard = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (cap !== undefined && seen > cap) return done(pastCap(source, cap, seen));
      meter.add(chunk.length);
      done(null, chunk);
    },
  });
  await pipeline(source.createReadStream(opts.signal), guard, hasher, sink);
  meter.finish();
  return { size: hasher.bytes, sha256: hasher.digest() };
}

/** Throws SIZE_MISMATCH / HASH_MISMATCH (with expected and actual) when the result is not what was promised. */
function check(source: ImageSource, result: ExtractResult, opts: ExtractOptions): void {
  if (opts.expectedSize !== undefined && result.size !== opts.expectedSize) {
    throw new MaculaError('ERR_SIZE_MISMATCH', `image in ${source.path} is ${result.size} bytes, expected ${opts.expectedSize}`, {
      path: source.path,
      expected: opts.expectedSize,
      actual: result.size,
    });
  }
  const expected = opts.expectedSha256?.toLowerCase();
  if (expected !== undefined && result.sha256 !== expected) {
    throw new MaculaError('ERR_HASH_MISMATCH', `image in ${source.path} has sha256 ${result.sha256}, expected ${expected}`, {
      path: source.path,
      expected,
      actual: result.sha256,
    });
  }
}

/** Anything that is not already a MaculaError happened while writing: an I/O failure. */
function writeError(destPath: string, err: unknown): MaculaError {
  if (isMaculaError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MaculaError('ERR_IO', `cannot write ${destPath}: ${message}`, { path: destPath }, { cause: err });
}

async function closed(stream: WriteStream): Promise<void> {
  if (!stream.closed) await once(stream, 'close').catch(() => undefined);
}

/**
 * Decompresses `source` to `destPath` via `destPath.part` (renamed only once complete and checked),
 * hashing on the way; stops as soon as more bytes come out than declared. On any failure the part file is removed
 * and nothing is left at `destPath`.
 */
export async function extractImage(source: ImageSource, destPath: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const partPath = `${destPath}.part`;
  const out = createWriteStream(partPath, { highWaterMark: 1 << 20 });
  try {
    const result = await drain(source, out, 'decompressing', opts);
    check(source, result, opts);
    await rename(partPath, destPath);
    return result;
  } catch (err) {
    out.destroy();
    await closed(out);
    await rm(partPath, { force: true });
    throw writeError(partPath, err);
  }
}

/** Size and SHA-256 of the decompressed image without writing it anywhere (for `macula inspect`). */
export async function hashImage(source: ImageSource, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(_chunk: Buffer, _enc, done) {
      done();
    },
  });
  const result = await drain(source, sink, 'hashing', opts);
  check(source, result, opts);
  return result;
}
