import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CloneResult } from '../../../shared/drive-tools';
import { MaculaError } from '../../../shared/errors';
import { ChunkPool } from '../write/aligned-chunks';
import { readWindows } from '../write/read-back';
import { READ_DEPTH } from '../write/verify-target';
import { BmapBuilder } from './bmap-builder';
import { compressionOf, createCompressor } from './compressor';
import { endOfLastPartition, readPartitions } from './drive-layout';
import { openDriveForRead } from './open-drive';

/** Inputs of `macula clone`. */
export interface CloneDriveOptions {
  readonly device: string;
  /** The image to write: `.img` (raw), `.xz`, `.zst` or `.gz`. */
  readonly out: string;
  /** Read the whole drive, not just up to the end of its last partition. */
  readonly whole?: boolean;
  /** Also write `OUT.bmap` (without the compression suffix: bmaptool looks beside the image it is given). */
  readonly bmap?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: (bytes: number, total: number) => void;
}

/** Where the block map of `out` goes: `disk.img.xz` → `disk.img.bmap`, `disk.img` → `disk.img.bmap`. */
export function bmapPathFor(out: string): string {
  return `${out.replace(/\.(xz|zst|zstd|gz)$/i, '')}.bmap`;
}

/**
 * Reads a drive with direct I/O (read-only, not exclusive, nothing unmounted: see openDriveForRead) up to the end of
 * its last partition, or all of it, into a compressed image, hashing the uncompressed bytes (and mapping their
 * non-zero blocks for a bmap) as they pass. The output is written under a `.partial` name and renamed when complete.
 */
export async function cloneDrive(options: CloneDriveOptions): Promise<CloneResult> {
  const { device, out, signal } = options;
  const compression = compressionOf(out);
  const partial = `${out}.partial`;
  const { target, size: driveSize } = await openDriveForRead(device);
  try {
    const partitionsEnd = options.whole ? undefined : endOfLastPartition(await readPartitions(device));
    const size = partitionsEnd === undefined ? driveSize : Math.min(partitionsEnd, driveSize);
    const hash = createHash('sha256');
    const bmap = options.bmap ? new BmapBuilder() : undefined;
    let done = 0;
    const pool = new ChunkPool(READ_DEPTH + 1);
    async function* bytes(): AsyncGenerator<Buffer> {
      for await (const window of readWindows(target, size, pool, READ_DEPTH)) {
        if (signal?.aborted) throw new MaculaError('ERR_ABORTED', `cloning ${device} was cancelled`, { path: device });
        hash.update(window);
        bmap?.push(window);
        done += window.length;
        options.onProgress?.(done, size);
        // A copy: the window's buffer goes back to the pool for the next read, the compressor may hold on to it.
        yield Buffer.from(window);
      }
    }
    await pipeline(Readable.from(bytes(), { objectMode: false }), await createCompressor(compression), createWriteStream(partial), signal ? { signal } : {});
    if (done !== size) throw new MaculaError('ERR_IO', `${device} ended at byte ${done}, before the ${size} bytes to clone`, { path: device, expected: size, actual: done });
    await rename(partial, out);
    const bmapPath = bmap ? bmapPathFor(out) : null;
    if (bmap && bmapPath) await writeFile(bmapPath, bmap.finish());
    return {
      device,
      out,
      compression,
      size,
      sha256: hash.digest('hex'),
      compressedSize: (await stat(out)).size,
      bmap: bmapPath,
      partitionsOnly: partitionsEnd !== undefined && partitionsEnd < driveSize,
    };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await target.handle.close();
  }
}
