import type { BytePatch } from '../seed/partition-plan';

/**
 * A seeded target holds its own partition table where the image has its table: before a read-back is hashed and
 * compared with the image, the image's original bytes go back in those places (verify-state.ts checks the target's
 * own bytes there separately).
 */

/** Copies into `bytes` (which hold the target's bytes from `position` on) the originals that overlap them. */
export function restoreOriginals(bytes: Buffer, position: number, originals: readonly BytePatch[] | undefined): void {
  if (originals === undefined) return;
  const end = position + bytes.length;
  for (const { offset, bytes: original } of originals) {
    const start = Math.max(offset, position);
    const stop = Math.min(offset + original.length, end);
    if (start < stop) original.copy(bytes, start - position, start - offset, stop - offset);
  }
}

/** `windows` (consecutive pieces of the target from offset 0) with the originals put back. */
export async function* withOriginals(windows: AsyncIterable<Buffer>, originals: readonly BytePatch[] | undefined): AsyncGenerator<Buffer> {
  let position = 0;
  for await (const bytes of windows) {
    restoreOriginals(bytes, position, originals);
    position += bytes.length;
    yield bytes;
  }
}
