import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MaculaError } from '../../../shared/errors';
import { cachedDownload, downloadPartial, partialFileOf, type VerifiedPartial } from '../download/download';
import type { BodyStart } from '../download/download-attempt';
import { detectImageFormat } from '../source/detect';
import { type GrowingFile, beginGrowth, endGrowth } from '../source/growing-file';
import { STREAMABLE } from '../source/open-image';
import { type AcquireOptions, type AcquiredImage, type EntryBmap, type Trust, downloadOptions, entryBmap, findExpectation, withBmap } from './acquire-image';
import { cachedFilePath } from '../download/cache-layout';

/**
 * An image being downloaded while it is flashed (docs/flashing.md, "Streaming from a download"): the partial file
 * grows, the writer reads it as it grows, and only once the download's SHA-256 matched the signed one does the writer
 * learn where the file ends; its own hash of what it read must match too before chunk 0 is written.
 */
export interface ImageStream {
  /** The partial file, read as it grows (growing-file.ts registers it for this process's readers). */
  readonly path: string;
  /** The signed (or given) SHA-256 the file must have. */
  readonly sha256: string;
  readonly fileName: string;
  readonly trust: Trust;
  /** The size the server announced (or the catalog gave): for sizing and progress only. */
  readonly expectedSize: number | undefined;
  /** The catalog entry's block map (vouched for by the signed sums), stored where the image will be cached. */
  readonly bmap: EntryBmap['bmap'];
  readonly bmapProblem: EntryBmap['bmapProblem'];
  /** Resolves with the file's size once it is complete and verified; rejects with the download's failure. */
  readonly downloaded: Promise<number>;
  /** Whether the server's file started again from byte 0 after bytes had been read (its ETag changed). */
  restarted(): boolean;
  /** After the write: waits for the download, moves the file into the cache; throws the download's failure. */
  settle(): Promise<AcquiredImage>;
  /** Stops a download still running (the flash ended without writing); its partial stays, to be resumed later. */
  abandon(): void;
}

/** The image already cached (read as any local file), or being streamed. */
export type Acquisition = { readonly kind: 'cached'; readonly image: AcquiredImage } | { readonly kind: 'streaming'; readonly stream: ImageStream };

/**
 * As acquireImage, but the download does not have to end before the flash starts: the signature over SHA256SUMS is
 * checked first, then the download starts and this resolves as soon as its first bytes say the format can be read
 * front to back (raw, gzip, zstd, bzip2, xz). A zip (read from its central directory at the end) is downloaded whole
 * first, and a cached image is returned as it is, with no request made.
 */
export async function acquireStreaming(opts: AcquireOptions): Promise<Acquisition> {
  const expectation = await findExpectation(opts);
  // The download stops with the flash when the flash stops before its write (abandon), or with the caller's signal.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const options = { ...downloadOptions(opts, expectation), signal };
  const cached = await cachedDownload(options);
  if (cached) return { kind: 'cached', image: await withBmap(opts, expectation, cached) };

  // The block map first (small, checked against the signed sums): a streamed raw image is written sparsely with it.
  const cachedPath = cachedFilePath(opts.cacheDir, expectation.expected, expectation.fileName);
  if (opts.origin.kind === 'catalog' && opts.origin.entry.bmap_url !== undefined) await mkdir(dirname(cachedPath), { recursive: true });
  const bmap = await entryBmap(opts, expectation, cachedPath);
  const path = partialFileOf(options);
  let growth: GrowingFile | undefined;
  let restarted = false;
  let started!: (body: BodyStart) => void;
  const firstBody = new Promise<BodyStart>((resolve) => (started = resolve));
  const onBody = (body: BodyStart): void => {
    if (growth === undefined) {
      // Registered before the body's first byte lands: from here on, readers of the partial wait for its growth.
      growth = beginGrowth(path, body.total ?? expectation.expectedSize);
      return started(body);
    }
    if (body.offset === 0) {
      // The server's file changed (If-Range failed, RFC 9110 §13.1.5): what the writer read is of another file. The
      // write stops (chunk 0 unwritten); the caller writes again from the verified file once it is complete.
      restarted = true;
      growth.fail(new MaculaError('ERR_IO', `the server's copy of ${expectation.fileName} changed during the download: the write starts again once it is complete`, { path }));
    }
  };
  const partial: Promise<VerifiedPartial> = downloadPartial(options, onBody);
  const downloaded = partial.then(
    (done) => (growth?.finish(done.size), done.size),
    (err: unknown) => {
      growth?.fail(err instanceof Error ? err : new Error(String(err)));
      throw err;
    },
  );
  downloaded.catch(() => undefined);
  // The download may fail before any body (a 404, a refused size): then that is the error, and nothing is flashed.
  await Promise.race([firstBody, downloaded]);
  const current = growth as GrowingFile | undefined;
  if (current === undefined) throw new Error('unreachable: a download ended without a body');
  // The partial is created as its first bytes arrive; its head is read once it exists.
  const format = await current.waitFor(0).then(() => detectImageFormat(path)).catch(async (err: unknown) => {
    // A download that failed explains a head that could not be read better than the read does.
    await downloaded;
    throw err;
  });
  const settle = async (): Promise<AcquiredImage> => {
    try {
      const done = await partial;
      return { ...(await done.commit()), fileName: expectation.fileName, trust: expectation.trust, ...bmap };
    } finally {
      endGrowth(current);
    }
  };
  if (!STREAMABLE.has(format.compression)) {
    endGrowth(current);
    return { kind: 'cached', image: await settle() };
  }
  return {
    kind: 'streaming',
    stream: {
      path,
      sha256: expectation.expected,
      fileName: expectation.fileName,
      trust: expectation.trust,
      expectedSize: current.expectedSize,
      bmap: bmap.bmap,
      bmapProblem: bmap.bmapProblem,
      downloaded,
      restarted: () => restarted,
      settle,
      abandon: () => {
        if (!signal.aborted) stop.abort(new MaculaError('ERR_ABORTED', 'the flash stopped before its download ended'));
        endGrowth(current);
      },
    },
  };
}

