import type { Chunk } from './aligned-chunks';
import { ALIGNMENT } from './direct-io';
import type { Extent } from './mapped-ranges';

const ZERO_BLOCK = Buffer.alloc(ALIGNMENT);

/** Each chunk's non-zero extents, found once however many targets skip its zero blocks. */
const found = new WeakMap<Chunk, readonly Extent[]>();

/**
 * The parts of an image chunk that are not zero, in ALIGNMENT (4 KiB) blocks: what a target that reads back zeros
 * where nothing was written (see discard-zeros.ts) needs written. Adjacent non-zero blocks form one extent; the last
 * extent ends at the chunk's true length (the writer pads it to whole sectors, with the zeros that follow it).
 * A 4 MiB chunk is scanned in ≈ 0.2 ms (a native compare per block).
 */
export function nonZeroExtents(chunk: Chunk): readonly Extent[] {
  const known = found.get(chunk);
  if (known) return known;
  const extents: Extent[] = [];
  let open: { start: number; end: number } | undefined;
  for (let start = 0; start < chunk.length; start += ALIGNMENT) {
    const end = Math.min(start + ALIGNMENT, chunk.length);
    const zero = chunk.buffer.compare(ZERO_BLOCK, 0, end - start, start, end) === 0;
    if (zero) {
      if (open) extents.push({ start: open.start, length: open.end - open.start });
      open = undefined;
    } else if (open) open.end = end;
    else open = { start, end };
  }
  if (open) extents.push({ start: open.start, length: open.end - open.start });
  found.set(chunk, extents);
  return extents;
}
