import { createHash } from 'node:crypto';
import type { Bmap } from '../../../shared/bmap';
import { MaculaError } from '../../../shared/errors';
import { BatchHasher } from '../io/batch-hasher';
import type { TargetFilesystem, TargetState } from '../seed/target-state';
import { type Chunk, ChunkPool, type FileChunksOptions, alignedChunks, fileChunks, readerChunks } from './aligned-chunks';
import type { Extent } from './mapped-ranges';
import { PLACED_WRITE_DEPTH, type ChunkDigests, placeImage, placedPool, placedReader } from './place-image';
import { type PreparedTarget, asMaculaError, checkTarget, prepareTarget } from './prepare-target';
import { TargetProgress } from './target-progress';
import { sourceDigest } from './source-digest';
import { TargetWriter } from './target-writer';
import { verifyTarget } from './verify-target';
import { writeError } from './write-errors';
import type { StateResult, TargetResult, WriteImageOptions, WriteImageResult } from './write-types';

/*
 * Seeding (the state partition: libext2fs, the partition table libraries, lsblk's zod schema) and block maps (zod)
 * are imported only by the flashes that use them: loaded, their modules hold resident memory for the whole flash
 * (zod alone ≈ 12 MiB, gpt ≈ 6 MiB), and a plain flash is meant to stay within 100 MB (issue 3).
 */
const stateWrites = () => import('./write-state');

/** The image bytes a target receives with block map `bmap` (its mapped ranges), for progress and notes. */
async function mappedBytes(bmap: Bmap): Promise<number> {
  return (await import('../../../shared/bmap')).mappedSize(bmap);
}

/** One target through the whole write: its writer, its progress, what happened to it. */
interface Lane {
  readonly path: string;
  readonly progress: TargetProgress;
  readonly notes: string[];
  /** The seed for this target's MACULAOS_STATE, if it gets one. */
  readonly stateConfig: string | undefined;
  prepared?: PreparedTarget;
  writer?: TargetWriter;
  /** Built before the image streams: the state filesystem holding the seed. */
  stateFs?: TargetFilesystem;
  /** Planned once the image is read: the state partition, its filesystem, the table edits. */
  state?: TargetState;
  /** Why the target could not be seeded; the image is still written and verified, then the target reports this. */
  stateFailure?: MaculaError;
  /** A failure outside the writer (preflight, open, verification); the writer keeps its own. */
  failure?: MaculaError;
  verified: boolean;
  /** The image's SHA-256 as this target's read-back found it (an image written out of order, see verify-chunks.ts). */
  readSha256?: string;
}

/** The lane's failure: its own, else its writer's (the lowest failing offset). */
function failureOf(lane: Lane): MaculaError | undefined {
  return lane.failure ?? lane.writer?.failure;
}

function failLane(lane: Lane, err: unknown): void {
  lane.failure ??= asMaculaError(lane.path, err);
  lane.progress.enter('failed');
}

/** Writers of targets that have not failed. */
function live(lanes: readonly Lane[]): TargetWriter[] {
  return lanes.flatMap((l) => (l.writer && failureOf(l) === undefined ? [l.writer] : []));
}

interface Streamed {
  /** Undefined when the image was not read to its end, or was written out of order (then see `digests`). */
  readonly sha256: string | undefined;
  /** Written out of order (place-image.ts): each chunk's SHA-256, for the read-back; undefined if not read to its end. */
  readonly digests?: ChunkDigests | undefined;
  /** Image bytes read. */
  readonly size: number;
  /** Chunk 0, read again at the end to be written last. */
  readonly first: Chunk | undefined;
}

/** Which parts of a chunk are the image's to write: all of it, or a block map's extents of it. */
type ChunkExtents = readonly Extent[] | undefined;

/** Chunk 0 as the stream first saw it, to check it when it is read again. */
interface FirstSeen {
  readonly length: number;
  readonly extents: ChunkExtents;
  /** SHA-256 of its bytes to be written (see writtenDigest). */
  readonly digest: Buffer;
}

/**
 * The image's chunks from its start, in buffers from `pool`: a raw file read straight into them (with `only`, just its
 * block map's mapped parts; `readAhead`: see fileChunks), a decoder writing into them, or else the decoded stream
 * regrouped into them.
 */
async function* imageChunks(options: WriteImageOptions, pool: ChunkPool, only: FileChunksOptions['sparse'], readAhead: boolean): AsyncGenerator<Chunk> {
  const { source, signal } = options;
  if (source.compression === 'none') return yield* fileChunks(source.path, pool, { signal, sparse: only, readAhead });
  const reader = source.openReader?.(signal);
  if (reader) return yield* readerChunks(reader, pool);
  const input = source.createReadStream(signal);
  try {
    yield* alignedChunks(input, pool);
  } finally {
    input.destroy();
  }
}

/** SHA-256 of the bytes of `chunk` that get written. */
function writtenDigest(chunk: Chunk, extents: ChunkExtents): Buffer {
  const hash = createHash('sha256');
  for (const { start, length } of extents ?? [{ start: 0, length: chunk.length }]) hash.update(chunk.buffer.subarray(start, start + length));
  return hash.digest();
}

/**
 * Chunk 0 read (or decoded) again from the start of the image, to be written last, checked against the SHA-256 its
 * written bytes had the first time: holding it through the whole write instead would keep a 4 MiB buffer for nothing.
 */
async function readFirstAgain(options: WriteImageOptions, pool: ChunkPool, only: FileChunksOptions['sparse'], seen: FirstSeen): Promise<Chunk> {
  const chunks = imageChunks(options, pool, only, false);
  try {
    const again = (await chunks.next()).value;
    if (again && again.length === seen.length && writtenDigest(again, seen.extents).equals(seen.digest)) return seen.extents ? { ...again, extents: seen.extents } : again;
    again?.share(0);
    throw new MaculaError('ERR_IO', `the first ${seen.length} bytes of ${options.source.path} read differently the second time: the image changed while it was written`, { path: options.source.path });
  } finally {
    await chunks.return(undefined);
  }
}

/**
 * Streams the image once into every live writer, hashing it on the way (the only hash pass). A raw
 * image is read straight into the pool's buffers; anything else is decoded into them. Chunk 0 is hashed and handed
 * back to the pool, then read again at the end for the caller to write last; reading stops early when every target has
 * failed (no hash then). With a block map only its mapped extents of each chunk are written, and an unmapped chunk goes
 * nowhere. If the image fails (unreadable, a range off its block map's checksum, or chunk 0 read differently the second
 * time), chunks not yet started are dropped on every target before the error is thrown: chunk 0 is then never written.
 */
async function streamImage(options: WriteImageOptions, lanes: readonly Lane[], pool: ChunkPool): Promise<Streamed> {
  const { source } = options;
  const ranges = options.bmap && new (await import('./mapped-ranges')).MappedRanges(options.bmap, source.path);
  // A raw image with a block map is read only where it is mapped, as bmaptool does (a 25 %-full image: a quarter of
  // the reading): its SHA-256 is then not known (the bmap's range checksums vouch for every byte written). A seeded
  // flash reads it whole, for the inventory's image SHA-256 and a table-patched copy of chunk 0 that is written whole.
  const sparse = ranges && source.compression === 'none' && !lanes.some((l) => l.stateConfig !== undefined) ? ranges : undefined;
  const only = sparse && ((offset: number, length: number) => sparse.wanted(offset, length));
  const hash = sparse ? undefined : imageHasher(source);
  let size = 0;
  let head: FirstSeen | undefined;
  let complete = true;
  try {
    for await (const whole of imageChunks(options, pool, only, true)) {
      size += whole.length;
      const writers = live(lanes);
      if (writers.length === 0) {
        whole.share(0);
        complete = false;
        break;
      }
      let chunk = whole;
      try {
        const bytes = whole.buffer.subarray(0, whole.length);
        await hash?.update(bytes);
        if (ranges) chunk = { ...whole, extents: ranges.take(whole.offset, bytes) };
        if (chunk.index === 0) head = { length: chunk.length, extents: chunk.extents, digest: writtenDigest(chunk, chunk.extents) };
      } catch (err) {
        whole.share(0);
        throw err;
      }
      if (chunk.index === 0 || chunk.extents?.length === 0) {
        chunk.share(0);
        continue;
      }
      chunk.share(writers.length);
      for (const writer of writers) writer.submit(chunk);
    }
    if (ranges && complete) ranges.finish(size);
    const first = complete && head ? await readFirstAgain(options, pool, only, head) : undefined;
    return { sha256: complete && hash ? await hash.finish() : undefined, size, first };
  } catch (err) {
    for (const lane of lanes) lane.writer?.abandon();
    throw err;
  } finally {
    hash?.close();
  }
}

/** The SHA-256 of the image as it streams. */
interface ImageHasher {
  update(bytes: Uint8Array): Promise<void> | undefined;
  finish(): Promise<string>;
  close(): void;
}

/**
 * The image is hashed once, whatever the targets: on this thread (see verify-target.ts for the figures: a worker
 * thread costs ≈ 12 MiB, and hashing here is no slower), except for xz, hashed on a worker as when it met its goal:
 * its lanes keep both cores busy on worker threads and wait for the main thread between 1 MiB pieces, so work here
 * delays them (measured: with the hash here and the lanes on the threadpool, 1.46 × `xz -T2 -dc | dd`).
 */
function imageHasher(source: WriteImageOptions['source']): ImageHasher {
  if (source.compression === 'xz') return new BatchHasher();
  const hash = createHash('sha256');
  return {
    update: (bytes) => void hash.update(bytes),
    finish: () => Promise.resolve(hash.digest('hex')),
    close: () => undefined,
  };
}

/** Size of the disk a target stands for: a device's size, or a regular file's current length (image included). */
async function diskSize(lane: Lane): Promise<number> {
  const opened = lane.prepared?.opened;
  if (opened?.kind === 'file') return Number((await opened.handle.stat()).size);
  const { describeTarget } = await import('../drives/describe-target');
  const { size } = await describeTarget(lane.path);
  if (size === null) throw new MaculaError('ERR_TARGET_UNSUPPORTED', `the size of ${lane.path} is unknown: it cannot be given a state partition`, { path: lane.path });
  return size;
}

/**
 * Builds each seeded target's state filesystem, one after another (libext2fs is one instance), before the image
 * streams: it depends on the seed alone, and libext2fs's memory (its WebAssembly heap) is then taken while the chunk
 * pool is still empty instead of on top of it. Never throws: a target whose filesystem cannot be built (a seed too
 * big for it) keeps the reason and is written with the image alone.
 */
async function buildStates(lanes: readonly Lane[]): Promise<void> {
  if (!lanes.some((l) => l.stateConfig !== undefined && l.writer)) return;
  const { buildTargetFilesystem } = await import('../seed/target-state');
  for (const lane of lanes) {
    if (lane.stateConfig === undefined || !lane.writer?.alive) continue;
    try {
      lane.stateFs = await buildTargetFilesystem(lane.stateConfig);
    } catch (err) {
      lane.stateFailure = asMaculaError(lane.path, err);
    }
  }
}

/**
 * Plans each seeded live target's state partition (its filesystem is built already). Never throws: a target that
 * cannot be seeded keeps the reason and is written with the image alone.
 */
async function planStates(lanes: readonly Lane[], streamed: Streamed): Promise<void> {
  const first = streamed.first;
  if (!lanes.some((l) => l.stateFs !== undefined)) return;
  const { planTargetState } = await import('../seed/target-state');
  for (const lane of lanes) {
    const opened = lane.prepared?.opened;
    if (lane.stateFs === undefined || !opened || !lane.writer?.alive) continue;
    try {
      if (!first) throw new MaculaError('ERR_NO_ROOM_FOR_STATE', 'the image is empty: there is no partition table to add MACULAOS_STATE to');
      lane.state = planTargetState({
        filesystem: lane.stateFs,
        head: first.buffer.subarray(0, first.length),
        imageSize: streamed.size,
        targetSize: await diskSize(lane),
        sectorSize: opened.kind === 'file' ? 512 : opened.sectorSize,
      });
    } catch (err) {
      lane.stateFailure = asMaculaError(lane.path, err);
    }
  }
}

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
 * Calls the afterWrite hook and, when `verify`, reads the target back (with buffers from `pool`) and compares. An image
 * written out of order has no SHA-256 until a read-back computes it, so with `verify` off a seeded target is still read
 * back, to hash it only: the fleet inventory records a seeded node with the image's SHA-256 (record-seeded.ts), and an
 * unseeded flash then reports no SHA-256 (`macula flash` prints "unknown") rather than pay a read-back it was told to
 * skip.
 */
async function verifyLane(lane: Lane, options: WriteImageOptions, streamed: Streamed, pool: ChunkPool): Promise<void> {
  const kind = lane.prepared?.opened.kind;
  const { size, sha256, digests } = streamed;
  // A block map's flash may have no SHA-256 (read sparsely): its ranges are checked against the bmap instead.
  if (kind === undefined || (sha256 === undefined && digests === undefined && !options.bmap) || failureOf(lane)) return;
  try {
    await options.hooks?.afterWrite?.(lane.path);
    const verify = options.verify !== false;
    if (!verify && !(digests && lane.state)) return;
    const { source, bmap, signal } = options;
    const onVerified = (n: number): void => lane.progress.add(n);
    lane.progress.enter('verifying', bmap ? await mappedBytes(bmap) : size);
    const originals = lane.state?.originals;
    let note: string | undefined;
    if (bmap) note = await (await import('./verify-mapped')).verifyMappedRanges(lane.path, kind, { source, bmap, signal, onVerified, originals, pool });
    else if (sha256 !== undefined) note = await verifyTarget(lane.path, kind, { source, image: { size, sha256 }, pool, signal, onVerified, originals });
    else {
      const read = await (await import('./verify-chunks')).verifyChunks(lane.path, kind, { source, size, digests: verify ? digests : undefined, pool, signal, onVerified, originals });
      ({ note } = read);
      lane.readSha256 = read.sha256;
      if (!verify) return;
    }
    if (note !== undefined && !lane.notes.includes(note)) lane.notes.push(note);
    if (lane.state) await (await import('./verify-state')).verifyState(lane.path, kind, lane.state, pool);
    lane.verified = true;
  } catch (err) {
    failLane(lane, err);
  }
}

function stateResult(state: TargetState): StateResult {
  const { table, partitionNumber: partition, offset, size } = state.plan;
  return { table, partition, offset, size, uuid: state.uuid };
}

/** The failure of a target that holds the image (verified, unless verification was off) but not its seed. */
function notSeeded(lane: Lane, why: MaculaError): MaculaError {
  const message = `the image was written${lane.verified ? ' and verified' : ''} but NOT seeded: ${why.message}`;
  return new MaculaError(why.code, message, why.details, { cause: why });
}

function resultOf(lane: Lane): TargetResult {
  const { path, notes, state } = lane;
  const failure = failureOf(lane) ?? (lane.stateFailure && notSeeded(lane, lane.stateFailure));
  if (failure === undefined) return { path, ok: true, verified: lane.verified, notes, ...(state ? { state: stateResult(state) } : {}) };
  const { code, message, details } = failure;
  const { offset, expected, actual } = details;
  const error = {
    code,
    message,
    ...(offset !== undefined ? { offset } : {}),
    ...(typeof expected === 'string' ? { expected } : {}),
    ...(typeof actual === 'string' ? { actual } : {}),
  };
  return { path, ok: false, notes, error };
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
