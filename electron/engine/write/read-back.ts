import { CHUNK, type ChunkPool, paddedLength } from './aligned-chunks';
import { ALIGNMENT } from './direct-io';
import type { OpenedTarget } from './open-target';
import { readBackError } from './write-errors';

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

/**
 * Reads bytes [position, position + length) of the target into `buffer` (CHUNK bytes, aligned), as one transfer
 * widened to ALIGNMENT on both sides, and returns just those bytes (fewer at the end of the target). `length` must
 * leave room for the widening: at most CHUNK - ALIGNMENT past an unaligned `position`.
 */
export async function readSpan(target: OpenedTarget, buffer: Buffer, position: number, length: number): Promise<Buffer> {
  const from = Math.floor(position / ALIGNMENT) * ALIGNMENT;
  const want = paddedLength(position + length - from, Math.max(ALIGNMENT, target.sectorSize));
  const got = await readFully(target, buffer, want, from);
  const skip = position - from;
  return buffer.subarray(skip, Math.max(skip, Math.min(got, skip + length)));
}

/** `length` bytes of the target at `position`: one readSpan's worth (see its limits). */
export interface Span {
  readonly position: number;
  readonly length: number;
}

/** A read started ahead of the caller. */
interface Pending {
  readonly buffer: Buffer;
  readonly length: number;
  readonly got: Promise<Buffer>;
}

/**
 * The target's bytes at each of `spans`, in order, with up to `depth` reads in flight (each into an aligned buffer of
 * `pool`, widened as O_DIRECT wants, see readSpan), so the device keeps reading while the caller works on a span. A
 * span's bytes are valid until the next one is asked for. Fewer bytes than asked mean the target ends there; nothing
 * follows them. Only an empty-handed reader waits for the pool, so readers sharing one never deadlock. Ending early
 * (break, throw) waits for the reads in flight before their buffers go back to the pool.
 */
export async function* readSpans(target: OpenedTarget, spans: Iterable<Span>, pool: ChunkPool, depth: number): AsyncGenerator<Buffer> {
  const pending: Pending[] = [];
  const iterator = spans[Symbol.iterator]();
  let upcoming = iterator.next();
  let held: Buffer | undefined;
  try {
    while (pending.length > 0 || !upcoming.done) {
      while (pending.length < depth && !upcoming.done) {
        const buffer = pending.length === 0 ? await pool.acquire() : pool.tryAcquire();
        if (!buffer) break;
        const { position, length } = upcoming.value;
        upcoming = iterator.next();
        const got = readSpan(target, buffer, position, length);
        got.catch(() => undefined); // awaited in turn below; this only keeps a later read's failure from going unhandled
        pending.push({ buffer, length, got });
      }
      const head = pending.shift();
      if (!head) break;
      held = head.buffer;
      const bytes = await head.got;
      yield bytes;
      held = undefined;
      pool.release(head.buffer);
      if (bytes.length < head.length) return;
    }
  } finally {
    if (held) pool.release(held);
    for (const { buffer, got } of pending.splice(0)) {
      await got.catch(() => undefined);
      pool.release(buffer);
    }
  }
}

/** The target's bytes [0, size) in CHUNK windows, in order, as readSpans reads them. */
export function readWindows(target: OpenedTarget, size: number, pool: ChunkPool, depth: number): AsyncGenerator<Buffer> {
  return readSpans(target, chunkSpans(size), pool, depth);
}

function* chunkSpans(size: number): Generator<Span> {
  for (let position = 0; position < size; position += CHUNK) yield { position, length: Math.min(CHUNK, size - position) };
}
