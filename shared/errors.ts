/**
 * Errors that cross layers carry a stable `code` (never rewritten once set) and structured fields,
 * so the CLI can pick an exit code and the UI a message without parsing text.
 */

/** Every error code the product can raise, grouped by the exit class it maps to. */
export const ERROR_CODES = {
  // Refusals the user can lift with a flag (e.g. --allow-http) count as usage errors.
  usage: [
    'ERR_USAGE',
    'ERR_HTTP_INSECURE',
    // A signed catalog whose newest entry of a kind is older than one seen before (a replayed catalog); --allow-downgrade.
    'ERR_CATALOG_DOWNGRADE',
  ],
  verification: [
    'ERR_HASH_MISMATCH',
    'ERR_SIZE_MISMATCH',
    'ERR_SIGNATURE_INVALID',
    'ERR_SIGNATURE_MISSING',
    'ERR_SIGNATURE_MALFORMED',
    'ERR_SIGNATURE_UNKNOWN_KEY',
    'ERR_KEY_INVALID',
    'ERR_SUMS_MALFORMED',
    'ERR_SUMS_NO_ENTRY',
    // A node that cannot prove the pairing key seeded into it, or shows another certificate than the one pinned.
    'ERR_NODE_IMPOSTOR',
    // A node's seed report whose MAC does not check out with its pairing key (shared/fleet/seed-report.ts).
    'ERR_SEED_REPORT_INVALID',
  ],
  input: [
    'ERR_CATALOG_SCHEMA',
    'ERR_CATALOG_ENTRY_NOT_FOUND',
    'ERR_FORMAT_UNKNOWN',
    'ERR_ARCHIVE_CORRUPT',
    'ERR_ARCHIVE_TRUNCATED',
    'ERR_ARCHIVE_NO_IMAGE',
    'ERR_ARCHIVE_MULTIPLE_IMAGES',
    'ERR_ARCHIVE_PATH_TRAVERSAL',
    'ERR_ARCHIVE_UNSUPPORTED',
    'ERR_BMAP_MALFORMED',
    'ERR_SEED_INVALID',
    // The image's partition table cannot take the state partition: damaged, absent, or all four MBR slots in use.
    'ERR_PARTITION_TABLE_INVALID',
    'ERR_PARTITION_TABLE_FULL',
    // The fleet protocol (shared/fleet): a TXT record that breaks RFC 6763 or our schema (not `key=value` with a
    // printable key; over 200 bytes in all or 255 in one string; `txtvers` missing, not first or unknown; a key missing,
    // repeated or invalid; a value carrying a secret), or a pairing-proof input of the wrong length.
    'ERR_TXT_MALFORMED',
    'ERR_TXT_TOO_LARGE',
    'ERR_TXT_VERSION',
    'ERR_TXT_MISSING_KEY',
    'ERR_TXT_DUPLICATE_KEY',
    'ERR_TXT_INVALID_VALUE',
    'ERR_TXT_SECRET',
    'ERR_PROOF_INPUT',
    // A node this desktop did not flash (no pairing key for it in the fleet inventory).
    'ERR_NODE_UNKNOWN',
    // Adoption (issue 14): the setup code typed does not match the one on the node's console.
    'ERR_SETUP_CODE_INVALID',
  ],
  io: [
    'ERR_IO',
    'ERR_HTTP_STATUS',
    'ERR_HTTP_TIMEOUT',
    'ERR_HTTP_TOO_MANY_REDIRECTS',
    'ERR_NETWORK',
    'ERR_ABORTED',
    // Pairing: the node was not found on the LAN, answered outside its API, or the Portal exchange ended without
    // credentials (denied, expired, token refused, Portal unreachable).
    'ERR_NODE_NOT_FOUND',
    'ERR_NODE_API',
    'ERR_PAIRING_FAILED',
    // The node locked adoption after five wrong setup codes (for ADOPT_LOCK_SECONDS, shared/fleet/adopt-api.ts).
    'ERR_ADOPTION_LOCKED',
    // The desktop's Portal sign-in (RFC 8628) ended without an enrollment token: Portal unreachable or outside its
    // contract, the user denied it, the code expired (the reason travels beside the code).
    'ERR_SIGN_IN_FAILED',
  ],
  // The chosen target must not be written: system drive, the drive holding the image or the app, too small, read-only.
  target: [
    'ERR_TARGET_NOT_FOUND',
    'ERR_TARGET_UNSUPPORTED',
    'ERR_TARGET_SYSTEM_DRIVE',
    'ERR_TARGET_SOURCE_DRIVE',
    'ERR_TARGET_APP_DRIVE',
    'ERR_TARGET_TOO_SMALL',
    'ERR_TARGET_READ_ONLY',
    // A disk that reports no size: an empty card reader, or a device that is not a storage medium (an unset zram).
    'ERR_TARGET_NO_MEDIUM',
    // The path the elevated writer checked names another device (or none) by the time it is opened: nothing written.
    'ERR_TARGET_CHANGED',
    // Less free space after the image than the state partition needs; the image itself is still written intact.
    'ERR_NO_ROOM_FOR_STATE',
  ],
  // Writing an image to a drive: the target ran out of room, failed, refused access, or read back different bytes.
  write: [
    'ERR_WRITE_FAILED',
    'ERR_DEVICE_FAILING',
    'ERR_NO_SPACE',
    'ERR_VERIFY_MISMATCH',
    'ERR_UNMOUNT_FAILED',
    'ERR_TARGET_BUSY',
    'ERR_TARGET_ACCESS_DENIED',
    // The program the writer would run as root can be modified by a non-root user: not elevated, nothing written.
    'ERR_WRITER_UNSAFE',
  ],
} as const;

export type ErrorClass = keyof typeof ERROR_CODES;
export type MaculaErrorCode = (typeof ERROR_CODES)[ErrorClass][number];

/** A code as a failure is reported across a boundary: ours, or ERR_INTERNAL for an error that was no MaculaError. */
export type ReportedErrorCode = MaculaErrorCode | 'ERR_INTERNAL';

/** Structured context of an error: what was expected, what was found, where. */
export interface ErrorDetails {
  readonly expected?: string | number;
  readonly actual?: string | number;
  readonly offset?: number;
  readonly path?: string;
  readonly url?: string;
  readonly field?: string;
  readonly status?: number;
}

export class MaculaError extends Error {
  override readonly name = 'MaculaError';
  constructor(
    readonly code: MaculaErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The class (usage, verification, input, io, target, write) an error code belongs to. */
export function errorClassOf(code: MaculaErrorCode): ErrorClass {
  for (const cls of Object.keys(ERROR_CODES) as ErrorClass[]) {
    if ((ERROR_CODES[cls] as readonly string[]).includes(code)) return cls;
  }
  throw new Error(`unclassified error code ${code}`);
}

/** Whether a string (e.g. a code that crossed a process boundary) is one of our error codes. */
export function isErrorCode(code: string): code is MaculaErrorCode {
  return Object.values(ERROR_CODES).some((codes) => (codes as readonly string[]).includes(code));
}

export function isMaculaError(e: unknown, code?: MaculaErrorCode): e is MaculaError {
  return e instanceof MaculaError && (code === undefined || e.code === code);
}

/** Exhaustiveness check for switches over unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
