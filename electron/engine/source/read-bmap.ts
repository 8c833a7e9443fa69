import { readFile } from 'node:fs/promises';
import { parse } from 'blockmap';
import { type Bmap, bmapSchema } from '../../../shared/bmap';
import { MaculaError } from '../../../shared/errors';

export { findSidecarBmap } from './bmap-sidecar';

/** A .bmap is a few KiB to a few MiB of XML; anything larger is not one. */
const MAX_BMAP_BYTES = 64 << 20;

function malformed(path: string, message: string, cause?: unknown): MaculaError {
  return new MaculaError('ERR_BMAP_MALFORMED', `${path} is not a usable block map: ${message}`, { path }, cause === undefined ? undefined : { cause });
}

/**
 * Parses bmap XML with balena's `blockmap` (which also checks BmapFileChecksum / BmapFileSHA1 where present) and
 * validates the result against the shared model: a bmap that parses but contradicts itself is refused as well.
 */
export function parseBmap(xml: string, path: string): Bmap {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(xml, true);
  } catch (err) {
    // The parser's message quotes the file (line, column, the character it choked on): never echoed, since the file
    // may be one the reader is not allowed to see (the elevated writer is asked to read /etc/shadow as a bmap).
    throw malformed(path, 'it is not bmap XML (or its checksum does not match)', err);
  }
  const result = bmapSchema.safeParse({
    version: parsed.version,
    imageSize: parsed.imageSize,
    blockSize: parsed.blockSize,
    blocksCount: parsed.blocksCount,
    mappedBlocksCount: parsed.mappedBlocksCount,
    checksumType: parsed.checksumType?.toLowerCase(),
    ranges: (parsed.ranges ?? []).map((r) => ({ first: r.start, last: r.end, checksum: r.checksum.toLowerCase() })),
  });
  if (!result.success) throw malformed(path, result.error.issues.map((i) => i.message).join('; '));
  return result.data;
}

/** Reads and parses a .bmap file; unreadable is ERR_IO, unparseable or inconsistent is ERR_BMAP_MALFORMED. */
export async function readBmap(path: string): Promise<Bmap> {
  const bytes = await readFile(path).catch((err: unknown) => {
    throw new MaculaError('ERR_IO', `cannot read the block map ${path}: ${err instanceof Error ? err.message : String(err)}`, { path }, { cause: err });
  });
  if (bytes.length > MAX_BMAP_BYTES) throw malformed(path, `${bytes.length} bytes is too large for a block map`);
  return parseBmap(bytes.toString('utf8'), path);
}
