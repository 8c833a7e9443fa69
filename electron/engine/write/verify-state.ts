import { MaculaError } from '../../../shared/errors';
import type { BytePatch } from '../seed/partition-plan';
import { sparseMismatch } from '../seed/sparse-bytes';
import type { TargetState } from '../seed/target-state';
import { CHUNK, type ChunkPool } from './aligned-chunks';
import { type OpenedTarget, type TargetKind, openForRead } from './open-target';
import { readSpan } from './read-back';
import { tailWrites } from './write-state';
import { describeOffset } from './write-errors';

/** Offset of the first byte where `a` and `b` differ, or undefined (both the same length). */
function firstUnequal(a: Buffer, b: Buffer): number | undefined {
  if (a.equals(b)) return undefined;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length;
}

function mismatch(target: OpenedTarget, offset: number, what: string): MaculaError {
  const message = `${target.path} differs at ${describeOffset(offset)}, in ${what}: the seed is not on the target as written`;
  return new MaculaError('ERR_VERIFY_MISMATCH', message, { path: target.path, offset });
}

/**
 * Reads `length` bytes at `offset` (in pieces of at most CHUNK, each aligned) and compares each piece: `differs` gives
 * the offset in the piece of its first wrong byte, if any.
 */
async function compareAt(target: OpenedTarget, buffer: Buffer, offset: number, length: number, what: string, differs: (from: number, actual: Buffer) => number | undefined): Promise<void> {
  for (let at = 0; at < length; at += CHUNK) {
    const n = Math.min(CHUNK, length - at);
    const actual = await readSpan(target, buffer, offset + at, n);
    const diff = actual.length < n ? actual.length : differs(at, actual);
    if (diff !== undefined) throw mismatch(target, offset + at + diff, what);
  }
}

/**
 * Reads back what seeding added to a target, never from the page cache, and compares it byte for byte: the state
 * filesystem (zeros included), the target's own table sectors in the image's head and those past the image.
 * ERR_VERIFY_MISMATCH names the first bad byte and what it belongs to.
 */
export async function verifyState(path: string, kind: TargetKind, state: TargetState, pool: ChunkPool): Promise<void> {
  const target = await openForRead(path, kind);
  const buffer = await pool.acquire();
  try {
    const { filesystem, plan } = state;
    // Compared with the filesystem's runs and zeros as they are: no dense copy of what is expected.
    await compareAt(target, buffer, plan.offset, filesystem.length, 'the MACULAOS_STATE filesystem', (from, actual) => sparseMismatch(filesystem, from, actual));
    const sectors: readonly BytePatch[] = [...state.headPatches, ...tailWrites(state, target.sectorSize)];
    for (const patch of sectors) {
      await compareAt(target, buffer, patch.offset, patch.bytes.length, 'the partition table', (from, actual) => firstUnequal(actual, patch.bytes.subarray(from, from + actual.length)));
    }
  } finally {
    pool.release(buffer);
    await target.handle.close();
  }
}
