import type { Ext2Disk, Ext2Fs } from 'ext2fs';
import type { SparseBlocks } from './sparse-bytes';

/**
 * Disks for libext2fs (the `ext2fs` package) and one way in: `withExt2fs`. ext2fs is a single WebAssembly instance
 * with one global operation queue and global state between awaits, so sessions are run one after another here
 * rather than trusted to interleave (a multi-target flash seeds several filesystems at once).
 */

/** The filesystem is these blocks (mostly absent: zeros): libext2fs reads and writes them in place. */
export class SparseDisk implements Ext2Disk {
  constructor(private readonly blocks: SparseBlocks) {}

  async read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<void> {
    this.blocks.read(buffer, bufferOffset, length, fileOffset);
  }

  async write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<void> {
    this.blocks.write(buffer, bufferOffset, length, fileOffset);
  }

  async discard(): Promise<void> {}
  async flush(): Promise<void> {}
}

/** Reads `length` bytes at `position` of some source into `buffer` at `offset`, all of them or throws. */
export type ReadAt = (buffer: Buffer, offset: number, length: number, position: number) => Promise<void>;

/**
 * Copy-on-write over a read-only source: what libext2fs writes (an atime, the superblock on close) stays in memory
 * and is read back from there, so reading a filesystem never changes the device or buffer it lives on.
 */
export class OverlayDisk implements Ext2Disk {
  private readonly writes: { position: number; bytes: Buffer }[] = [];

  constructor(private readonly readAt: ReadAt) {}

  async read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<void> {
    await this.readAt(buffer, bufferOffset, length, fileOffset);
    for (const { position, bytes } of this.writes) {
      const start = Math.max(position, fileOffset);
      const end = Math.min(position + bytes.length, fileOffset + length);
      if (start < end) bytes.copy(buffer, bufferOffset + start - fileOffset, start - position, end - position);
    }
  }

  async write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<void> {
    this.writes.push({ position: fileOffset, bytes: Buffer.from(buffer.subarray(bufferOffset, bufferOffset + length)) });
  }

  async discard(): Promise<void> {}
  async flush(): Promise<void> {}
}

let tail: Promise<unknown> = Promise.resolve();

/** Opens the filesystem at `offset` of `disk`, runs `fn`, closes it (flushing what changed); one session at a time. */
export function withExt2fs<T>(disk: Ext2Disk, offset: number, fn: (fs: Ext2Fs) => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    // Loaded on first use: instantiating the WebAssembly costs time the CLI's other commands should not pay.
    const { withMountedDisk } = await import('ext2fs');
    return withMountedDisk(disk, offset, fn);
  };
  const result = tail.then(run, run);
  tail = result.catch(() => undefined);
  return result;
}

/** The POSIX code ('ENOENT', 'ENOSPC', …) of an error thrown by ext2fs, if it has one. */
export function ext2fsCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== 'UNKNOWN' ? code : undefined;
}

/**
 * libext2fs's own error codes (com_err table "ext2", lib/ext2fs/ext2_err.et) start here; ext2fs reports them as
 * code 'UNKNOWN' with the raw number in `errno`.
 */
const EXT2_ET_BASE = 2133571328;

/** A short description of an ext2fs error for a message: 'ENOENT', or 'libext2fs error 152 in node_ext2fs_mount'. */
export function describeExt2fsError(err: unknown): string {
  const code = ext2fsCode(err);
  if (code) return code;
  const { errno, syscall } = (err ?? {}) as { errno?: unknown; syscall?: unknown };
  if (typeof errno === 'number' && errno >= EXT2_ET_BASE) {
    return `libext2fs error ${errno - EXT2_ET_BASE} (ext2_err.et)${typeof syscall === 'string' ? ` in ${syscall}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
