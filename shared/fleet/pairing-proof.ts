import { FleetProtocolError } from './fleet-error';

/**
 * What the pairing proofs MAC. Both sides hold the per-node pairing key seeded at flash time; each proves it with
 * HMAC-SHA256 (RFC 2104) over this message, keyed with the key's decoded bytes. Callers compute the HMAC themselves
 * (node:crypto or WebCrypto), since shared/ has neither.
 *
 * Layout, 116 bytes (node) or 119 (desktop), every field of fixed length so no two inputs give the same message:
 *
 *   label          ASCII "macula-pair-v1/node" (19 bytes, node proof) or "macula-pair-v1/desktop" (22, desktop proof)
 *   0x00           ends the label
 *   desktop nonce  32 bytes, chosen by the desktop
 *   node nonce     32 bytes, chosen by the node
 *   fingerprint    32 bytes, SHA-256 of the node's TLS certificate (DER), as the desktop saw it in the handshake
 *
 * The label keeps a node proof from ever passing as a desktop proof (reflection); the fingerprint binds the proof to
 * the TLS connection, so a rogue node relaying a genuine node's proof fails on its own certificate.
 */

export const PROOF_ROLES = ['node', 'desktop'] as const;
export type ProofRole = (typeof PROOF_ROLES)[number];

export const NONCE_BYTES = 32;
export const FINGERPRINT_BYTES = 32;
/** Length of an HMAC-SHA256 proof. */
export const PROOF_BYTES = 32;

export interface ProofInputs {
  readonly desktopNonce: Uint8Array;
  readonly nodeNonce: Uint8Array;
  /** Raw SHA-256, not its base64url text. */
  readonly fingerprint: Uint8Array;
}

function label(role: ProofRole): string {
  return `macula-pair-v1/${role}`;
}

function expectLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw new FleetProtocolError('ERR_PROOF_INPUT', `${name} must be ${length} bytes, got ${bytes.length}`, name);
  }
}

/** The exact bytes a `role`'s proof is the HMAC-SHA256 of (layout above). */
export function proofMessage(role: ProofRole, { desktopNonce, nodeNonce, fingerprint }: ProofInputs): Uint8Array {
  expectLength('desktopNonce', desktopNonce, NONCE_BYTES);
  expectLength('nodeNonce', nodeNonce, NONCE_BYTES);
  expectLength('fingerprint', fingerprint, FINGERPRINT_BYTES);
  const head = Array.from(label(role), (ch) => ch.charCodeAt(0));
  const message = new Uint8Array(head.length + 1 + 2 * NONCE_BYTES + FINGERPRINT_BYTES);
  message.set(head, 0);
  let offset = head.length + 1; // the 0x00 after the label is already there
  for (const part of [desktopNonce, nodeNonce, fingerprint]) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}
