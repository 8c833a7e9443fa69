import { z } from 'zod';

/**
 * base64url (RFC 4648 §5, no padding) for the fixed 32-byte values of the fleet protocol: nonces, HMAC-SHA256 proofs,
 * SHA-256 certificate fingerprints. Encoding is the seed's own `base64url`; decoding is here because shared/ has no
 * Buffer or atob.
 */

export { base64url as bytesToBase64url } from '../seed-batch';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * 32 bytes are 256 bits, 43 characters carry 258: the last character's two low bits must be zero. Requiring that
 * makes the encoding canonical, so two different strings never name the same fingerprint.
 */
const CANONICAL_32 = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** Exactly 32 bytes as canonical unpadded base64url (43 characters). */
export const base64url32Schema = z.string().regex(CANONICAL_32, 'must be 32 bytes as unpadded base64url (43 characters, RFC 4648 §5)');

/** Decodes unpadded base64url; throws a RangeError on any other character or an impossible length. */
export function base64urlToBytes(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new RangeError(`base64url of length ${text.length} is impossible`);
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new RangeError(`"${ch}" is not a base64url character (RFC 4648 §5)`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
