import type { BytePatch } from '../seed/partition-plan';
import { sparseWindow } from '../seed/sparse-bytes';
import type { TargetState } from '../seed/target-state';
import { CHUNK, type Chunk, type ChunkPool, editedCopy, extraChunk } from './aligned-chunks';
import type { TargetWriter } from './target-writer';

/**
 * Writing a target's MACULAOS_STATE (see seed/target-state.ts) through its TargetWriter, in the order that keeps a
 * half-written target from looking complete: the filesystem and the table sectors past the image first, then the
 * image's first chunk carrying the new table, last of all.
 */

/**
 * The table sectors past the image as the target takes them: each widened with zeros to whole `sectorSize` units (a
 * regular file opened with O_DIRECT transfers 4 KiB units; the tables are laid out in 512-byte sectors), joined where
 * the widening makes them meet. Throws if widening would reach the state filesystem or past the end of the target.
 */
export function tailWrites(state: TargetState, sectorSize: number): BytePatch[] {
  const out: BytePatch[] = [];
  const fsStart = state.plan.offset;
  const fsEnd = fsStart + state.filesystem.length;
  for (const patch of state.tailPatches) {
    const from = Math.floor(patch.offset / sectorSize) * sectorSize;
    const to = Math.ceil((patch.offset + patch.bytes.length) / sectorSize) * sectorSize;
    if ((from < fsEnd && to > fsStart) || to > state.targetSize) {
      throw new RangeError(`table sectors at ${patch.offset} cannot be written in ${sectorSize}-byte units on this target`);
    }
    const last = out[out.length - 1];
    const start = last !== undefined && last.offset + last.bytes.length >= from ? last.offset : from;
    const bytes = Buffer.alloc(to - start);
    if (start !== from && last !== undefined) {
      last.bytes.copy(bytes);
      out.pop();
    }
    patch.bytes.copy(bytes, patch.offset - start);
    out.push({ offset: start, bytes });
  }
  return out;
}

/** Submits the state filesystem (CHUNK at a time, zeros included) and the table sectors past the image. */
export async function submitStateWrites(writer: TargetWriter, pool: ChunkPool, state: TargetState): Promise<void> {
  const { filesystem, plan } = state;
  for (let at = 0; at < filesystem.length && writer.alive; at += CHUNK) {
    const length = Math.min(CHUNK, filesystem.length - at);
    writer.submit(await extraChunk(pool, plan.offset + at, (buffer) => (sparseWindow(filesystem, at, length, buffer), length)));
  }
  for (const patch of tailWrites(state, writer.target.sectorSize)) {
    if (!writer.alive) return;
    writer.submit(await extraChunk(pool, patch.offset, (buffer) => patch.bytes.copy(buffer)));
  }
}

/** The image's first chunk with this target's table sectors in it. */
export function patchedHead(pool: ChunkPool, first: Chunk, state: TargetState): Promise<Chunk> {
  return editedCopy(pool, first, (buffer) => {
    for (const patch of state.headPatches) patch.bytes.copy(buffer, patch.offset);
  });
}
