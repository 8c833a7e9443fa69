/** Minimal typings for unbzip2-stream (a pure-JS streaming bzip2 decoder). */
declare module 'unbzip2-stream' {
  /** A through-stream: write .bz2 bytes in, read decompressed bytes out. */
  export default function unbzip2Stream(): NodeJS.ReadWriteStream & { destroy(): void };
}
