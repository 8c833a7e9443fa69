/**
 * Elligator 2 onto Curve25519 (RFC 9380 §6.7.1, as draft-irtf-cfrg-cpace's appendix "Elligator 2 reference
 * implementation" writes it for CPace): a 255-bit field element → the u-coordinate of a point on the curve. CPace
 * uses it to turn the hash of the setup code into a generator nobody knows a discrete logarithm of.
 *
 * BigInt arithmetic is not constant-time. The only secret input is the hash of a setup code that lives for minutes,
 * is shown only on the node's console and allows five wrong tries (docs/fleet.md, "Adopting a node"): a timing
 * attacker gets a handful of noisy samples over a LAN, not the millions such an attack needs.
 */

/** 2^255 − 19 (RFC 7748 §4.1). */
const P = (1n << 255n) - 19n;
/** Curve25519's Montgomery coefficient A (RFC 7748 §4.1). */
const A = 486662n;
/** The non-square Z of RFC 9380 §6.7.1 for Curve25519 (the draft's find_z_ell2 gives 2). */
const Z = 2n;

function mod(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

const inverse = (x: bigint): bigint => pow(x, P - 2n);

/** RFC 7748 §5 decodeUCoordinate for 255 bits: little-endian, bit 255 cleared. */
export function decodeUCoordinate(bytes: Uint8Array): bigint {
  if (bytes.length !== 32) throw new RangeError(`a u-coordinate is 32 bytes, not ${bytes.length}`);
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(i === 31 ? (bytes[i] ?? 0) & 0x7f : (bytes[i] ?? 0));
  return n;
}

/** RFC 7748 §5 encodeUCoordinate: 32 bytes little-endian of the reduced value. */
export function encodeUCoordinate(u: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let n = mod(u);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** The u-coordinate Elligator 2 maps `r` to (the draft's `elligator2(r, q, A, 255)`), encoded. */
export function elligator2Curve25519(r: bigint): Uint8Array {
  const rr = mod(r);
  const v = mod(-A * inverse(mod(1n + Z * rr * rr)));
  // Legendre symbol of g(v) = v³ + A·v² + v: 1 (square), P − 1 (non-square) or 0.
  const epsilon = pow(mod(v * v * v + A * v * v + v), (P - 1n) / 2n);
  // epsilon = 1 → x = v; epsilon = −1 → x = −v − A; the formula of the draft covers both (and 0) at once.
  const x = mod(epsilon * v - mod(1n - epsilon) * A * inverse(2n));
  return encodeUCoordinate(x);
}
