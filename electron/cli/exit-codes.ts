import { type ErrorClass, assertNever, errorClassOf, isMaculaError } from '../../shared/errors';

/**
 * Exit codes of `macula`, documented in README.md. Scripts can tell a refused image (3) from a typo (2)
 * from a network or disk problem (4), from a target drive that must not be written (6), and from a write that failed
 * or read back wrong (7).
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  verification: 3,
  io: 4,
  input: 5,
  target: 6,
  write: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each exit code means: `macula --help` prints this table and README.md's "Exit codes" line must say the same. */
export const EXIT_MEANINGS: Readonly<Record<ExitCode, string>> = {
  0: 'ok',
  1: 'internal error',
  2: 'usage error (also a refusal a flag lifts: plain http, a catalog older than one seen before)',
  3: 'verification failed (hash, size or signature; a node that is an impostor)',
  4: 'I/O or network error (a node not found or not answering, pairing denied or expired)',
  5: 'invalid input (catalog, archive, image format, seed, bmap, TXT record; a node not flashed here)',
  6: 'target refused (system drive, drive holding the image or the app, too small, read-only, or missing)',
  7: 'write failed (no space, device failing, read-back mismatch, unmount failed; an elevated writer a user could modify)',
};

function exitForClass(cls: ErrorClass): ExitCode {
  switch (cls) {
    case 'usage':
      return EXIT.usage;
    case 'verification':
      return EXIT.verification;
    case 'io':
      return EXIT.io;
    case 'input':
      return EXIT.input;
    case 'write':
      return EXIT.write;
    case 'target':
      return EXIT.target;
    default:
      return assertNever(cls);
  }
}

/** The exit code for an error thrown by a command. Node's own fs/net errors count as I/O. */
export function exitCodeFor(error: unknown): ExitCode {
  if (isMaculaError(error)) return exitForClass(errorClassOf(error.code));
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && /^E[A-Z]+$/.test(error.code)) {
    return EXIT.io;
  }
  return EXIT.internal;
}
