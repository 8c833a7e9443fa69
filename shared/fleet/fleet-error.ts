import { MaculaError } from '../errors';

/**
 * Errors of the fleet protocol (TXT records, pairing proofs): MaculaErrors of the input class (exit code 5) whose
 * codes are listed here and in ERROR_CODES, carrying the offending TXT key (also as `details.field`).
 */

export const FLEET_ERROR_CODES = [
  /** A TXT string that is not `key=value` with a printable US-ASCII key (RFC 6763 §6.4). */
  'ERR_TXT_MALFORMED',
  /** More than 200 bytes in all (RFC 6763 §6.2), or one string longer than 255 (§6.1). */
  'ERR_TXT_TOO_LARGE',
  /** `txtvers` missing, not first, or not a version this code reads (RFC 6763 §6.7). */
  'ERR_TXT_VERSION',
  'ERR_TXT_MISSING_KEY',
  'ERR_TXT_DUPLICATE_KEY',
  'ERR_TXT_INVALID_VALUE',
  /** A value that carries one of the node's secrets: refused before it is ever advertised. */
  'ERR_TXT_SECRET',
  /** A nonce or fingerprint of the wrong length given to the proof message. */
  'ERR_PROOF_INPUT',
] as const;

export type FleetErrorCode = (typeof FLEET_ERROR_CODES)[number];

export class FleetProtocolError extends MaculaError {
  constructor(
    override readonly code: FleetErrorCode,
    message: string,
    /** The TXT key (wire name, such as `fp`) or proof input the error is about. */
    readonly key?: string,
  ) {
    super(code, message, key === undefined ? {} : { field: key });
  }
}
