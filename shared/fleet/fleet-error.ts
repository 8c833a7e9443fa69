import { MaculaError, type MaculaErrorCode } from '../errors';

/**
 * Errors of the fleet protocol (TXT records, pairing proofs): MaculaErrors of the input class (exit code 5),
 * carrying the offending TXT key (also as `details.field`).
 */

/** The fleet protocol's codes, listed (and explained) in ERROR_CODES: the TXT record's and the proof inputs'. */
export type FleetErrorCode = Extract<MaculaErrorCode, `ERR_TXT_${string}` | 'ERR_PROOF_INPUT'>;

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
