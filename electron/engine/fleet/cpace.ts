import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeUCoordinate, elligator2Curve25519 } from './elligator2';

/**
 * CPace over X25519 with SHA-512 (draft-irtf-cfrg-cpace, "CPace group objects G_X25519", its recommended cipher
 * suite for Curve25519): a balanced PAKE. Both sides derive a secret generator from the setup code (PRS), exchange
 * one point each, and get the same key ISK only when their codes match; a watcher of the exchange sees two random
 * points, neither of which is a function of the code alone, so it has nothing to test guesses against offline.
 *
 * The scalar multiplications are node:crypto's X25519 (OpenSSL: clamping, bit 255 masked, and a derivation that
 * yields the neutral element refused — the draft's scalar_mult_vfy). Only the Elligator 2 map is ours
 * (elligator2.ts); both are checked against the draft's test vectors in cpace.test.ts. Runs unchanged on Node 18
 * (the node agent) and 20 (the desktop).
 */

/** G_X25519.DSI. */
export const CPACE_DSI = new TextEncoder().encode('CPace255');
const DSI_ISK = new TextEncoder().encode('CPace255_ISK');
/** SHA-512's input block size (H.s_in_bytes). */
const SHA512_BLOCK = 128;
export const CPACE_POINT_BYTES = 32;
/** Length of ISK and of the key-confirmation tags: SHA-512 output. */
export const CPACE_KEY_BYTES = 64;

const sha512 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** prepend_len: the LEB128 length, then the bytes. */
export function prependLen(data: Uint8Array): Uint8Array {
  const length: number[] = [];
  let n = data.length;
  do {
    length.push(n < 128 ? n : (n & 0x7f) | 0x80);
    n >>>= 7;
  } while (n > 0);
  return concat([Uint8Array.from(length), data]);
}

/** lv_cat(a0, a1, …): each part with its length prepended. */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  return concat(parts.map(prependLen));
}

/** generator_string(DSI, PRS, CI, sid, s_in_bytes): zero padding fills the first hash block after DSI and PRS. */
export function generatorString(dsi: Uint8Array, prs: Uint8Array, ci: Uint8Array, sid: Uint8Array, sInBytes = SHA512_BLOCK): Uint8Array {
  const zpad = Math.max(0, sInBytes - 1 - prependLen(prs).length - prependLen(dsi).length);
  return lvCat(dsi, prs, new Uint8Array(zpad), ci, sid);
}

/** G_X25519.calculate_generator(H, PRS, CI, sid): Elligator 2 of the first 32 bytes of SHA-512(generator_string). */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const hash = sha512(generatorString(CPACE_DSI, prs, ci, sid)).subarray(0, 32);
  return elligator2Curve25519(decodeUCoordinate(hash));
}

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

/**
 * G_X25519.scalar_mult_vfy(y, g) = X25519(y, g), or undefined for the neutral element G.I (a low-order point on the
 * curve or its twist): the caller MUST abort then.
 */
export function scalarMultVfy(scalar: Uint8Array, u: Uint8Array): Uint8Array | undefined {
  if (scalar.length !== 32 || u.length !== CPACE_POINT_BYTES) return undefined;
  let shared: Buffer;
  try {
    shared = diffieHellman({
      privateKey: createPrivateKey({ key: Buffer.concat([PKCS8_X25519, scalar]), format: 'der', type: 'pkcs8' }),
      publicKey: createPublicKey({ key: Buffer.concat([SPKI_X25519, u]), format: 'der', type: 'spki' }),
    });
  } catch {
    // OpenSSL refuses a derivation whose result is all zeros (RFC 7748 §6.1's check).
    return undefined;
  }
  return shared.every((b) => b === 0) ? undefined : new Uint8Array(shared);
}

/** What both sides must agree on besides the code. */
export interface CpaceSession {
  /** The password-related string: the setup code. */
  readonly prs: Uint8Array;
  /** Channel identifier: who talks to whom, over what (kept out of the messages). */
  readonly ci: Uint8Array;
  /** Session id, fresh per exchange. */
  readonly sid: Uint8Array;
}

/** One side's ephemeral part: its secret scalar and the share it sends (Y = y·g). */
export interface CpaceShare {
  readonly scalar: Uint8Array;
  readonly share: Uint8Array;
}

/** G.sample_scalar() and G.scalar_mult(y, g). `scalar` is for the draft's test vectors only. */
export function cpaceShare(session: CpaceSession, scalar: Uint8Array = new Uint8Array(randomBytes(32))): CpaceShare {
  const share = scalarMultVfy(scalar, calculateGenerator(session.prs, session.ci, session.sid));
  // A generator from Elligator 2 times a clamped scalar is never the neutral element; this is a bug guard.
  if (!share) throw new Error('CPace: the generator gave the neutral element');
  return { scalar, share };
}

/** The exchange as both sides saw it, initiator (A, the desktop) first: transcript_ir. */
export interface CpaceTranscript {
  readonly ya: Uint8Array;
  readonly ada: Uint8Array;
  readonly yb: Uint8Array;
  readonly adb: Uint8Array;
}

/**
 * ISK = H.hash(lv_cat(DSI‖"_ISK", sid, K) ‖ transcript_ir(Ya, ADa, Yb, ADb)), with K = scalar_mult_vfy(own scalar,
 * peer share); undefined when K is the neutral element (abort: the peer sent a low-order point).
 */
export function cpaceIsk(session: CpaceSession, own: CpaceShare, peerShare: Uint8Array, transcript: CpaceTranscript): Uint8Array | undefined {
  const k = scalarMultVfy(own.scalar, peerShare);
  if (!k) return undefined;
  return sha512(lvCat(DSI_ISK, session.sid, k), lvCat(transcript.ya, transcript.ada), lvCat(transcript.yb, transcript.adb));
}

/**
 * Explicit key confirmation (the draft's "Key confirmation" section): mac_key = H.hash("CPaceMac" ‖ sid ‖ ISK), and
 * each side's tag is HMAC-SHA-512(mac_key, lv_cat(Y, AD)) over the message it sent.
 */
export function confirmationTag(isk: Uint8Array, sid: Uint8Array, share: Uint8Array, ad: Uint8Array): Uint8Array {
  const macKey = sha512(new TextEncoder().encode('CPaceMac'), sid, isk);
  return new Uint8Array(createHmac('sha512', macKey).update(lvCat(share, ad)).digest());
}

/** Constant-time comparison of a received tag with the expected one. */
export function tagsEqual(expected: Uint8Array, received: Uint8Array): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}
