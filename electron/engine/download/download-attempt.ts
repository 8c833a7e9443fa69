import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { MaculaError } from '../../../shared/errors';
import type { ProgressListener } from '../../../shared/progress';
import { HashingStream } from '../io/hashing-stream';
import { ProgressMeter } from '../io/progress-meter';
import { parseContentLength, parseContentRange } from './content-range';
import { httpGet, statusError, type HttpGetOptions, type HttpResponse } from './http-get';
import { discardPartial, writeSidecar, type PartialPaths } from './partial-state';
import { findResumePoint, type ResumePoint } from './resume-point';
import { displayUrl } from './url-policy';

/** What one attempt needs: where the partial lives, what the file must be, how to talk HTTP. */
export interface AttemptContext {
  readonly url: URL;
  readonly paths: PartialPaths;
  /** The content is pinned by an expected hash, so a partial may be resumed even without a validator. */
  readonly pinned: boolean;
  readonly expectedSize?: number;
  readonly http: HttpGetOptions;
  readonly onProgress?: ProgressListener;
  /**
   * Told each body's start before its first byte is written: `offset` 0 truncates the partial (a fresh start), more
   * continues it. A reader of the partial as it grows learns here whether the bytes it read still stand. A throw
   * refuses the body.
   */
  readonly onBody?: (body: BodyStart) => void;
}

/** Where a response body starts in the file, and the file's whole length if the server said. */
export interface BodyStart {
  readonly offset: number;
  readonly total?: number;
}

/** The partial file now holds the whole body; its hash and size are not yet checked against expectations. */
export interface AttemptResult {
  readonly sha256: string;
  readonly size: number;
  readonly resumed: boolean;
}

interface OpenedBody {
  readonly res: HttpResponse;
  /** Bytes already on disk that this body continues. */
  readonly offset: number;
  readonly total?: number;
}

/** One request: resume the partial if it can be, stream the body through the hasher onto disk. */
export async function downloadAttempt(ctx: AttemptContext): Promise<AttemptResult> {
  const resume = await findResumePoint(ctx.paths, ctx.url, ctx.pinned);
  const opened = resume ? await openResumed(ctx, resume) : await openFresh(ctx);
  if (ctx.expectedSize !== undefined && opened.total !== undefined && opened.total !== ctx.expectedSize) {
    opened.res.body.destroy();
    await discardPartial(ctx.paths);
    throw new MaculaError('ERR_SIZE_MISMATCH', `server reports ${opened.total} bytes, expected ${ctx.expectedSize}`, {
      expected: ctx.expectedSize,
      actual: opened.total,
      url: displayUrl(ctx.url),
    });
  }
  try {
    ctx.onBody?.({ offset: opened.offset, ...(opened.total !== undefined ? { total: opened.total } : {}) });
  } catch (err) {
    opened.res.body.destroy();
    throw err;
  }
  return streamToPartial(ctx, opened);
}

async function openResumed(ctx: AttemptContext, resume: ResumePoint): Promise<OpenedBody> {
  // RFC 9110 §14.2 Range, §13.1.5 If-Range: "send me the rest, but only if it is still the same representation".
  const headers: Record<string, string> = { range: `bytes=${resume.offset}-` };
  if (resume.ifRange !== undefined) headers['if-range'] = resume.ifRange;
  const res = await httpGet(ctx.url, { ...ctx.http, headers });
  if (res.status === 206) {
    const range = parseContentRange(res.headers['content-range']);
    const sameTotal = resume.total === undefined || range?.complete === undefined || range.complete === resume.total;
    if (range && range.first === resume.offset && sameTotal) {
      const total = range.complete ?? resume.total;
      return { res, offset: resume.offset, ...(total !== undefined ? { total } : {}) };
    }
    // A range other than the one asked for cannot be appended (RFC 9110 §15.3.7); start over.
    res.body.destroy();
    return openFresh(ctx);
  }
  if (res.status === 416) {
    // RFC 9110 §15.5.17: our offset is past the end, so the partial is not a prefix of the current resource.
    res.body.destroy();
    return openFresh(ctx);
  }
  // A 200 means the server ignored Range or If-Range failed (the file changed): the body is the whole resource.
  return acceptFull(ctx, res);
}

async function openFresh(ctx: AttemptContext): Promise<OpenedBody> {
  return acceptFull(ctx, await httpGet(ctx.url, ctx.http));
}

async function acceptFull(ctx: AttemptContext, res: HttpResponse): Promise<OpenedBody> {
  if (res.status !== 200) {
    res.body.destroy();
    throw statusError(res);
  }
  const total = parseContentLength(res.headers['content-length']);
  const etag = res.headers.etag;
  const lastModified = res.headers['last-modified'];
  await writeSidecar(ctx.paths.sidecar, {
    url: displayUrl(ctx.url),
    ...(etag !== undefined ? { etag } : {}),
    ...(lastModified !== undefined ? { lastModified } : {}),
    ...(total !== undefined ? { total } : {}),
  });
  return { res, offset: 0, ...(total !== undefined ? { total } : {}) };
}

async function streamToPartial(ctx: AttemptContext, opened: OpenedBody): Promise<AttemptResult> {
  const { res, offset, total } = opened;
  // A resumed body continues the hash of the bytes already on disk, read once by the hashing worker.
  const hasher = new HashingStream(offset > 0 ? { seed: { path: ctx.paths.part, length: offset } } : {});
  const meter = new ProgressMeter('downloading', ctx.onProgress, total ?? ctx.expectedSize, offset);
  // 'w' truncates: a body from byte 0 must never land after stale bytes.
  // A deep write buffer lets the socket keep reading while earlier chunks are still being written (writev batches them).
  const file = createWriteStream(ctx.paths.part, { flags: offset > 0 ? 'a' : 'w', highWaterMark: 8 << 20 });
  // The file stays out of pipeline(): on a network error pipeline() destroys its streams, and a destroyed WriteStream
  // drops what it still buffers. Ending it instead lands every received byte, so the next attempt resumes after them.
  let fileError: Error | undefined;
  file.on('error', (e) => (fileError ??= e));
  const closed = new Promise<void>((resolve) => file.once('close', resolve));
  try {
    await pipeline(res.body, hasher, countInto(meter), async (received: AsyncIterable<Buffer>) => {
      for await (const chunk of received) {
        if (fileError) throw fileError;
        if (!file.write(chunk)) await once(file, 'drain');
      }
    });
  } catch (err) {
    if (fileError) {
      throw new MaculaError('ERR_IO', `cannot write ${ctx.paths.part}`, { path: ctx.paths.part }, { cause: fileError });
    }
    throw res.explain(err);
  } finally {
    // The next attempt sizes the partial from disk, so every write must have landed first.
    file.end();
    await closed;
  }
  if (fileError) throw new MaculaError('ERR_IO', `cannot write ${ctx.paths.part}`, { path: ctx.paths.part }, { cause: fileError });
  const size = offset + hasher.bytes;
  if (total !== undefined && size < total) {
    throw new MaculaError('ERR_NETWORK', `connection closed after ${size} of ${total} bytes`, {
      expected: total,
      actual: size,
      url: displayUrl(ctx.url),
    });
  }
  if (total !== undefined && size > total) {
    await discardPartial(ctx.paths);
    throw new MaculaError('ERR_SIZE_MISMATCH', `received ${size} bytes, server announced ${total}`, {
      expected: total,
      actual: size,
      url: displayUrl(ctx.url),
    });
  }
  meter.finish();
  return { sha256: hasher.digest(), size, resumed: offset > 0 };
}

function countInto(meter: ProgressMeter): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* count(source) {
    for await (const chunk of source) {
      meter.add(chunk.length);
      yield chunk;
    }
  };
}
