import { ChunkPool } from './aligned-chunks';
import { type Lane, type Streamed, failLane, failureOf, live, mappedBytes } from './lane';
import { resultOf } from './lane-result';
import { buildStates, planStates } from './lane-states';
import { PLACED_WRITE_DEPTH, placeImage, placedPool, placedReader } from './place-image';
import { checkTarget, prepareTarget } from './prepare-target';
import { sourceDigest } from './source-digest';
import { streamImage } from './stream-image';
import { TargetProgress } from './target-progress';
import { TargetWriter } from './target-writer';
import { verifyLane } from './verify-lane';
import { writeError } from './write-errors';
import type { WriteImageOptions, WriteImageResult } from './write-types';

/*
 * Seeding (the state partition: libext2fs, the partition table libraries, lsblk's zod schema) and block maps (zod)
 * are imported only by the flashes that use them: loaded, their modules hold resident memory for the whole flash
 * (zod alone ≈ 12 MiB, gpt ≈ 6 MiB), and a plain flash is meant to stay within 100 MB (issue 3).
 */
const stateWrites = () => import('./write-state');


/**
 * Completes the writes: for seeded targets their state filesystem and the table sectors past the image, then chunk 0
 * last (a seeded target's own copy with its new table), then for a regular file truncation to the image length (not
 * for a seeded one: its length is the disk's), then fsync. Without `streamed` (the image failed) only waits for the
 * writes in flight. Closes every target either way.
 */
async function finishWrites(lanes: readonly Lane[], streamed: Streamed | undefined, pool: ChunkPool): Promise<void> {
  await Promise.all(lanes.map((l) => l.writer?.drained()));
  if (streamed) {
    await planStates(lanes, streamed);
    const seeded = lanes.filter((l) => l.state && l.writer?.alive);
    const { submitStateWrites } = seeded.length > 0 ? await stateWrites() : {};
    await Promise.all(seeded.map((l) => l.state && l.writer && submitStateWrites?.(l.writer, pool, l.state)));
    await Promise.all(lanes.map((l) => l.writer?.drained()));
  }
  const writers = streamed ? live(lanes) : [];
  if (streamed?.first) {
    const first = streamed.first;
    const seeded = lanes.filter((l) => l.state && l.writer?.alive);
    const plain = writers.filter((w) => !seeded.some((l) => l.writer === w));
    // One share more while the seeded targets' copies are made from it.
    first.share(plain.length + (seeded.length > 0 ? 1 : 0));
    for (const writer of plain) writer.submit(first);
    if (seeded.length > 0) {
      const { patchedHead } = await stateWrites();
      try {
        // Each copy is submitted before the next is made: there may be more seeded targets than buffers in the pool,
        // and copies made all at once would wait for one another's buffers for ever.
        for (const lane of seeded) if (lane.state && lane.writer) lane.writer.submit(await patchedHead(pool, first, lane.state));
      } finally {
        first.release();
      }
    }
  }
  await Promise.all(writers.map((w) => w.drained()));
  await Promise.all(
    lanes.map(async (lane) => {
      const { writer, prepared } = lane;
      if (!writer || !prepared) return;
      const { handle, kind } = prepared.opened;
      try {
        if (streamed && writer.alive && kind === 'file' && !lane.state) await handle.truncate(streamed.size);
        if (streamed && writer.alive) await handle.sync();
      } catch (err) {
        writer.fail(writeError(lane.path, undefined, err));
      } finally {
        await handle.close().catch(() => undefined);
      }
    }),
  );
}

/**
 * Writes in flight per target, unless the caller says. A raw image is read as fast as the disk allows: four 4 MiB
 * writes keep a USB3 stick as busy as dd (issue 3's goals, met with this depth). A decoded image comes at most at the
 * decoder's pace (zstd, gzip: one core), so two writes are as fast and the pool is 8 MiB smaller; xz keeps the four it
 * met its goal with on its ordered path (a single-Block file). A multi-Block .xz is written out of order with two (see
 * place-image.ts).
 */
function writeDepth(options: WriteImageOptions): number {
  const { compression, openPlaced } = options.source;
  if (openPlaced && !options.bmap) return options.maxInFlight ?? PLACED_WRITE_DEPTH;
  return options.maxInFlight ?? (compression === 'none' || compression === 'xz' ? 4 : 2);
}

/**
 * Whether `lane`'s target skips the image's zero blocks (discarded and measured to read back zeros: discard-zeros.ts),
 * with the note saying what was found. Only where the read-back will check every byte of the image range: with
 * verification, without a block map (which skips unmapped blocks itself), and with the image's size known up front.
 */
async function zeroSkipFor(lane: Lane, options: WriteImageOptions): Promise<boolean> {
  const { source, bmap, hooks } = options;
  const opened = lane.prepared?.opened;
  if (!opened || options.skipZeros === false || options.verify === false || bmap || source.sizeHint === undefined) return false;
  const { prepareZeroSkip } = await import('./discard-zeros');
  const found = await prepareZeroSkip(opened, source.sizeHint, hooks?.afterDiscard && ((path) => hooks.afterDiscard?.(path)));
  if (found) lane.notes.push(found.note);
  return found?.skip ?? false;
}

/** Runs preflight on every target first, then unmounts and opens each that passed. */
async function prepareLanes(lanes: readonly Lane[], options: WriteImageOptions): Promise<void> {
  const { source, preflight, hooks, bmap } = options;
  const imageSize = source.sizeHint ?? bmap?.imageSize;
  const kinds = await Promise.all(lanes.map((l) => checkTarget(l.path, imageSize, preflight).catch((err: unknown) => void failLane(l, err))));
  for (const [i, lane] of lanes.entries()) {
    const kind = kinds[i];
    if (kind === undefined) continue;
    try {
      lane.prepared = await prepareTarget(lane.path, kind, options.pinnedDevices?.get(lane.path));
      lane.notes.push(...lane.prepared.notes);
      if (bmap) lane.notes.push(`sparse write with a block map: ${await mappedBytes(bmap)} of ${bmap.imageSize} bytes mapped`);
      const skipZeroBlocks = await zeroSkipFor(lane, options);
      lane.writer = new TargetWriter(lane.prepared.opened, {
        maxInFlight: writeDepth(options),
        skipZeroBlocks,
        onWritten: (n) => lane.progress.add(n),
        onFailed: () => lane.progress.enter('failed'),
        onWrite: hooks?.onWrite && ((offset, length) => hooks.onWrite?.(lane.path, offset, length)),
      });
    } catch (err) {
      failLane(lane, err);
    }
  }
}

/**
 * Writes one image to many targets at once: one reader (hashing the image with SHA-256 as it goes) feeds
 * every target up to `maxInFlight` writes deep, through a small pool of aligned buffers, so memory stays bounded
 * whatever the image size. The first chunk (4 MiB) is written last, so no OS automounts a half-written disk. Each target
 * is fsynced and, by default, read back and compared (the SHA-256 of what it holds against the image's, both on this
 * thread; only on a mismatch are the bytes compared, to name the first bad one). With a `bmap` only its mapped ranges are written and read back,
 * each range checked against the bmap's checksum as it streams; a bmap for an image of another size is refused before
 * any target is opened (or, when the size is known only by reading, before chunk 0 is written). A failing target is recorded in its result and dropped; the
 * others carry on. Throws only for trouble with the image itself (unreadable, corrupt, ERR_ABORTED), after closing
 * every target. A multi-Block .xz is written out of order instead (place-image.ts): each Block decodes to its place and
 * each chunk is written once complete, its SHA-256 kept for the read-back, which also gives the image's SHA-256.
 */
export async function writeImage(options: WriteImageOptions): Promise<WriteImageResult> {
  const { source, bmap } = options;
  if (bmap && source.sizeHint !== undefined && source.sizeHint !== bmap.imageSize) {
    throw (await import('./mapped-ranges')).sizeMismatch(bmap, source.path, source.sizeHint, 'exactly');
  }
  if (options.stateConfigs && options.stateConfigs.length !== options.targets.length) {
    throw new RangeError(`${options.stateConfigs.length} state configs for ${options.targets.length} targets`);
  }
  const total = bmap ? await mappedBytes(bmap) : source.sizeHint;
  const lanes: Lane[] = options.targets.map((path, i) => ({
    path,
    stateConfig: options.stateConfigs?.[i],
    progress: new TargetProgress(path, options.onProgress, total),
    notes: [],
    verified: false,
  }));
  try {
    await prepareLanes(lanes, options);
    await buildStates(lanes);
    const stop = new AbortController();
    const placed = placedReader(options, stop);
    // maxInFlight being written + one being filled; chunk 0 is not held (it is read again at the end). Several targets
    // share every chunk, and buffers more for them to drift apart measured no faster: three seeded loops throttled to
    // 200, 150 and 200 MB/s took 5.77 s with none, 6.04-6.08 s with two more (and 7 MiB more). The read-back reuses
    // these buffers.
    const pool = placed ? placedPool(placed, writeDepth(options)) : new ChunkPool(writeDepth(options) + 1);
    // A raw image read whole is hashed by the stream itself; anything else is hashed aside (source-digest.ts).
    const seeded = options.stateConfigs?.some((c) => c !== undefined) ?? false;
    const wholeRaw = source.compression === 'none' && !(bmap && !seeded);
    const digest = sourceDigest(source, options.expectedSha256, wholeRaw);
    let streamed: Streamed | undefined;
    try {
      const abandon = (): void => lanes.forEach((l) => l.writer?.abandon());
      const read = placed ? await placeImage(placed, pool, () => live(lanes), stop, abandon, options.signal) : await streamImage(options, lanes, pool);
      // Only bytes that hashed to the verified SHA-256 may become bootable: chunk 0 goes out after this, or never.
      if (read.first && digest) {
        try {
          await digest.check(read.sha256);
        } catch (err) {
          read.first.share(0);
          throw err;
        }
      }
      streamed = read;
    } finally {
      digest?.close();
      await finishWrites(lanes, streamed, pool);
    }
    const written = streamed;
    await Promise.all(lanes.map((lane) => verifyLane(lane, options, written, pool)));
    for (const lane of lanes) if (!failureOf(lane)) lane.progress.enter(lane.stateFailure ? 'failed' : 'done');
    const sha256 = streamed.sha256 ?? lanes.find((l) => l.readSha256 !== undefined && !failureOf(l))?.readSha256;
    return { sha256, size: streamed.size, targets: lanes.map(resultOf) };
  } finally {
    await Promise.all(lanes.map((l) => l.prepared?.unmounted.release()));
  }
}
