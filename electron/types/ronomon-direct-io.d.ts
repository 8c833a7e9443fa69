/** Minimal typings for @ronomon/direct-io (a native addon): only what the writer uses. */
declare module '@ronomon/direct-io' {
  /** open(2) flag: bypass the page cache (0 where the platform has none). */
  export const O_DIRECT: number;
  /** open(2) flag: on a Linux block device without O_CREAT, an exclusive open that fails with EBUSY if mounted. */
  export const O_EXCL: number;
  /** A zero-filled Buffer whose address is a multiple of `alignment`; `size` a multiple of the sector size. */
  export function getAlignedBuffer(size: number, alignment: number): Buffer;
  /** macOS: value 1 turns the page cache off for `fd` (the nearest thing to O_DIRECT there). */
  export function setF_NOCACHE(fd: number, value: 0 | 1, callback: (error?: Error | null) => void): void;
  /** Windows: value 1 locks the volume with FSCTL_LOCK_VOLUME, 0 unlocks it. */
  export function setFSCTL_LOCK_VOLUME(fd: number, value: 0 | 1, callback: (error?: Error | null) => void): void;
}
