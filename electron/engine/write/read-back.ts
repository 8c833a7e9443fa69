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

/** A read started ahead of the caller. */
interface Pending {
  readonly buffer: Buffer;
  readonly length: number;
  readonly got: Promise<number>;
}

/**
 * The target's bytes [0, size) in CHUNK windows, in order, with up to `depth` positional reads in flight (each into an
 * aligned buffer of `pool`, padded to whole sectors, as O_DIRECT wants), so the device keeps reading while the caller
 * works on a window. A window is valid until the next one is asked for. A shorter window means the target ends there;
 * nothing follows it. Only an empty-handed reader waits for the pool, so readers sharing one never deadlock. Ending
 * early (break, throw) waits for the reads in flight before their buffers go back to the pool.
 */
export async function* readWindows(target: OpenedTarget, size: number, pool: ChunkPool, depth: number): AsyncGenerator<Buffer> {
  const pending: Pending[] = [];
  let held: Buffer | undefined;
  let started = 0;
  try {
    while (pending.length > 0 || started < size) {
      while (pending.length < depth && started < size) {
        const buffer = pending.length === 0 ? await pool.acquire() : pool.tryAcquire();
        if (!buffer) break;
        const length = Math.min(CHUNK, size - started);
        const got = readFully(target, buffer, paddedLength(length, target.sectorSize), started);
        got.catch(() => undefined); // awaited in turn below; this only keeps a later read's failure from going unhandled
        pending.push({ buffer, length, got });
        started += length;
      }
      const head = pending.shift();
      if (!head) break;
      held = head.buffer;
      const bytes = head.buffer.subarray(0, Math.min(await head.got, head.length));
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
