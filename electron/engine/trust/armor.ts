/** Armor detection shared by key and signature reading (RFC 9580 §6.2 ASCII armor). */

const ARMOR_HEADER = '-----BEGIN PGP ';
// A binary OpenPGP packet always starts with a byte whose high bit is set (RFC 9580 §4.2), so it can never be
// mistaken for armor; leading whitespace and a UTF-8 byte-order mark are tolerated before the armor header line.
const LEADING = new Set([0x20, 0x09, 0x0d, 0x0a]);
const BOM = [0xef, 0xbb, 0xbf];

/** True when `bytes` hold ASCII armor rather than binary OpenPGP packets. */
export function isArmored(bytes: Uint8Array): boolean {
  let i = BOM.every((b, k) => bytes[k] === b) ? BOM.length : 0;
  while (i < bytes.length && LEADING.has(bytes[i] ?? 0)) i++;
  const head = new TextDecoder('latin1').decode(bytes.subarray(i, i + ARMOR_HEADER.length));
  return head === ARMOR_HEADER;
}

/** True when `bytes` are empty or whitespace only. */
export function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((b) => LEADING.has(b));
}
