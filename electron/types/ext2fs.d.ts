/**
 * Minimal typings for `ext2fs` 4.x (balena's libext2fs compiled to WebAssembly): only what the seeder uses.
 * Its fs object mimics Node's `fs`, with known gaps: `writeFile`/`readFile` ignore their `mode`/`flag` options (the
 * defaults win), `FileHandle.close()` is not awaited, and `utimes` is not implemented; see electron/engine/seed/.
 */
declare module 'ext2fs' {
  /** A block device as libext2fs sees it: every call is block-aligned; `read`/`write` resolve or reject (EIO). */
  export interface Ext2Disk {
    read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<unknown>;
    write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<unknown>;
    discard(offset: number, length: number): Promise<unknown>;
    flush(): Promise<unknown>;
  }

  export interface Ext2Stats {
    readonly mode: number;
    readonly uid: number;
    readonly gid: number;
    readonly size: number;
    readonly ino: number;
    isFile(): boolean;
    isDirectory(): boolean;
  }

  /** Only `fd` is safe to use: its `close()` fires an un-awaited promise; close through `Ext2Promises.close(fd)`. */
  export interface Ext2FileHandle {
    readonly fd: number;
  }

  export interface Ext2Constants {
    readonly O_RDONLY: number;
    readonly O_WRONLY: number;
    readonly O_CREAT: number;
    readonly O_EXCL: number;
    readonly O_TRUNC: number;
    readonly O_NOATIME: number;
    readonly O_NOFOLLOW: number;
  }

  /** Errors carry a POSIX `code` ('ENOENT', 'ENOSPC', …) and libext2fs's `errno`. */
  export interface Ext2Promises {
    readonly constants: Ext2Constants;
    open(path: string, flags: string | number, mode?: number): Promise<Ext2FileHandle>;
    close(fd: number): Promise<void>;
    /** The buffer offset argument is ignored by ext2fs 4.2 (always 0): pass a subarray instead. */
    write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
    read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
    fstat(fd: number): Promise<Ext2Stats>;
    fchown(fd: number, uid: number, gid: number): Promise<void>;
    stat(path: string): Promise<Ext2Stats>;
    readdir(path: string): Promise<string[]>;
  }

  export interface Ext2Fs {
    readonly promises: Ext2Promises;
  }

  /** Opens the ext2/3/4 filesystem at `offset` of `disk` read-write, runs `fn`, then flushes and closes it. */
  export function withMountedDisk<T>(disk: Ext2Disk, offset: number, fn: (fs: Ext2Fs) => Promise<T>): Promise<T>;
}
