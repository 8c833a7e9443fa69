import type { FileHandle } from 'node:fs/promises';
import { stat } from 'node:fs/promises';

/**
 * A file still being downloaded while it is read (docs/flashing.md, "Streaming from a download"). A read that finds
 * no bytes yet waits for them instead of taking the end of the file for the end of the image, until the downloader
 * says the file is complete (`finish`) or failed (`fail`). Growth is noticed by polling the file's size (a stat every
 * POLL_MS, never a busy spin) and by `finish`/`fail` at once; inotify is not used, as the elevated writer reads the
 * file through /proc/self/fd/N, where watches are unreliable.
 */

/** How often a waiting read looks at the file's size: at 100 MB/s, 2 MB arrive meanwhile, half a write chunk. */
const POLL_MS = 20;

export class GrowingFile {
  private final: number | undefined;
  private failure: Error | undefined;
  private readonly wakers = new Set<() => void>();

  /** `expectedSize`: what the server announced (or the catalog said), for sizing and progress; not trusted for the end. */
  constructor(
    readonly path: string,
    readonly expectedSize: number | undefined,
  ) {}

  /** The download completed (and verified): reads end at `size`. */
  finish(size: number): void {
    this.final ??= size;
    this.wake();
  }

  /** The download failed or was cancelled: every waiting and later read throws `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  /**
   * Waits until the file holds a byte at `position` ('more') or is complete without one ('end'). Throws the
   * download's failure, if any: bytes past a failure are never taken for the image's.
   */
  async waitFor(position: number): Promise<'more' | 'end'> {
    for (;;) {
      if (this.failure) throw this.failure;
      const size = await stat(this.path).then(
        (s) => s.size,
        () => 0,
      );
      if (this.failure) throw this.failure;
      if (size > position) return 'more';
      if (this.final !== undefined) return 'end';
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, POLL_MS);
        this.wakers.add(done);
      });
    }
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}

/** Files being grown in this process, by the path their readers open (the partial file, or /proc/self/fd/N). */
const growing = new Map<string, GrowingFile>();

/** Registers `path` as growing until `endGrowth`; its readers wait for bytes instead of ending early. */
export function beginGrowth(path: string, expectedSize: number | undefined): GrowingFile {
  const file = new GrowingFile(path, expectedSize);
  growing.set(path, file);
  return file;
}

/** Forgets `path`'s growth (the write that read it has ended). */
export function endGrowth(file: GrowingFile): void {
  if (growing.get(file.path) === file) growing.delete(file.path);
}

/** The growth of `path`, when it is a file being downloaded. */
export function growthOf(path: string): GrowingFile | undefined {
  return growing.get(path);
}

/**
 * As `handle.read`, but on a growing file a read at its current end waits for more bytes: 0 only at the real end.
 * Errors of the read itself are the caller's to map.
 */
export async function readGrowing(handle: FileHandle, path: string, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  const growth = growthOf(path);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, offset, length, position);
    if (bytesRead > 0 || length === 0 || !growth) return bytesRead;
    if ((await growth.waitFor(position)) === 'end') return 0;
  }
}

