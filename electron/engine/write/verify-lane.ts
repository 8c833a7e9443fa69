import type { ChunkPool } from './aligned-chunks';
import { type Lane, type Streamed, failLane, failureOf, mappedBytes } from './lane';
import { verifyTarget } from './verify-target';
import type { WriteImageOptions } from './write-types';

/**
 * Calls the afterWrite hook and, when `verify`, reads the target back (with buffers from `pool`) and compares. An image
 * written out of order has no SHA-256 until a read-back computes it, so with `verify` off a seeded target is still read
 * back, to hash it only: the fleet inventory records a seeded node with the image's SHA-256 (record-seeded.ts), and an
 * unseeded flash then reports no SHA-256 (`macula flash` prints "unknown") rather than pay a read-back it was told to
 * skip.
 */
export async function verifyLane(lane: Lane, options: WriteImageOptions, streamed: Streamed, pool: ChunkPool): Promise<void> {
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

