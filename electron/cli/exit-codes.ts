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
