import { createHmac, timingSafeEqual } from 'node:crypto';
import { base64urlToBytes, bytesToBase64url } from '../../../shared/fleet/base64url';

/**
 * The seed report's MAC (shared/fleet/seed-report.ts): HMAC-SHA256 (RFC 2104) keyed with the node's pairing key — the
 * identity the desktop proved in the handshake — over
 *
 *   "macula-seed-report-v1" 0x00 ‖ node id (UTF-8) 0x00 ‖ certificate SHA-256 (32 bytes) ‖ report (UTF-8 JSON text)
 *
 * so a report cannot be replayed as another node's, nor served behind another certificate, nor changed in a byte.
 * An HMAC rather than a TLS-key signature: the pairing key is what the desktop already trusts for this node, while
 * the TLS key is only pinned, not proven. Used by the agent (signing) and the desktop (checking).
 */

function message(nodeId: string, fingerprint: Uint8Array, report: string): Buffer {
  return Buffer.concat([Buffer.from(`macula-seed-report-v1\0${nodeId}\0`, 'utf8'), Buffer.from(fingerprint), Buffer.from(report, 'utf8')]);
}

export function seedReportMac(key: Uint8Array, nodeId: string, fingerprint: Uint8Array, report: string): string {
  return bytesToBase64url(new Uint8Array(createHmac('sha256', key).update(message(nodeId, fingerprint, report)).digest()));
}

/** Whether `mac` is the report's MAC under `key`, compared in constant time. */
export function seedReportMacMatches(key: Uint8Array, nodeId: string, fingerprint: Uint8Array, report: string, mac: string): boolean {
  const expected = Buffer.from(base64urlToBytes(seedReportMac(key, nodeId, fingerprint, report)));
  const presented = Buffer.from(base64urlToBytes(mac));
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}
