import { createHmac, timingSafeEqual } from 'node:crypto';
import { type ProofInputs, type ProofRole, proofMessage } from '../../../shared/fleet/pairing-proof';

/** HMAC-SHA256 (RFC 2104) of the proof message (shared/fleet/pairing-proof.ts), keyed with the seeded pairing key. */
export function computeProof(key: Uint8Array, role: ProofRole, inputs: ProofInputs): Buffer {
  return createHmac('sha256', key).update(proofMessage(role, inputs)).digest();
}

/** Compares in constant time, so the response time does not tell an attacker how many leading bytes were right. */
export function proofMatches(key: Uint8Array, role: ProofRole, inputs: ProofInputs, presented: Uint8Array): boolean {
  const expected = computeProof(key, role, inputs);
  return presented.length === expected.length && timingSafeEqual(expected, presented);
}
