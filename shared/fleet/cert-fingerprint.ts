import { base64url32Schema, bytesToBase64url } from './base64url';

/**
 * A node's certificate fingerprint: SHA-256 over the DER encoding of its self-signed TLS leaf certificate, written
 * as 43 characters of base64url (RFC 4648 §5) — the compact form that fits a TXT record (hex would take 64, Node's
 * colon-hex 95). The desktop pins the certificate whose fingerprint the TXT record and the proof agree on.
 */
export const fingerprintSchema = base64url32Schema;

/**
 * The compact fingerprint from hex, with or without colons — the form Node's `X509Certificate.fingerprint256` and
 * `openssl x509 -fingerprint -sha256` print. Throws a RangeError unless it is 32 bytes of hex.
 */
export function fingerprintFromHex(hex: string): string {
  const digits = hex.replaceAll(':', '');
  if (!/^[0-9A-Fa-f]{64}$/.test(digits)) throw new RangeError('a SHA-256 fingerprint is 64 hex digits (colons allowed)');
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytesToBase64url(bytes);
}
