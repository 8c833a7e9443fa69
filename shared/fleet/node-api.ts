import { z } from 'zod';
import { assertNever } from '../errors';
import { base64url32Schema } from './base64url';
import { fingerprintSchema } from './cert-fingerprint';
import { adoptFinishRequestSchema, adoptFinishResponseSchema, adoptStartRequestSchema, adoptStartResponseSchema } from './adopt-api';
import { deviceAuthorizationResponseSchema } from './portal-contract';
import { signedSeedReportSchema } from './seed-report';
import { MESH_ROLES, archSchema, hostnameSchema, nodeIdSchema, osVersionSchema } from './seed-formats';
import { NODE_STATES, type NodeState } from './txt-record';

/**
 * The node agent's local HTTPS API (self-signed certificate, pinned by fingerprint), as the desktop calls it:
 *
 *   1. GET  info                           who the node says it is (anyone may ask)
 *   2. POST challenge {desktop_nonce}      → node_nonce and the node's proof: the desktop checks it before anything else
 *   3. POST proof {desktop_proof}          → a session token, once the desktop has shown it holds the key as well
 *   4. POST pairing/start, GET pairing/status   (session only) the Portal exchange, with the device-flow codes
 *   5. GET  seed-report                    (session only) what the node made of its seed, MACed (seed-report.ts)
 *
 * A node with no pairing key (not seeded here) says `unadopted` and answers only `info` and adopt/start|finish
 * (adopt-api.ts), which install a key; from then on it is like a node seeded with that key.
 *
 * Proofs are HMAC-SHA256 over `proofMessage` (pairing-proof.ts). Requests are strict (the node refuses what it does
 * not know); responses strip unknown fields, so a newer node still answers an older desktop.
 */

/** How the session token from `proof` is presented: `Authorization: Bearer TOKEN` (RFC 6750 §2.1). */
export const SESSION_AUTH_SCHEME = 'Bearer';

const nonce = base64url32Schema;
const seconds = z.number().int().positive();

export const nodeInfoSchema = z.object({
  api_version: z.literal(1),
  node_id: nodeIdSchema,
  hostname: hostnameSchema.optional(),
  state: z.enum(NODE_STATES),
  /** Informative: the desktop pins the fingerprint of the certificate it actually received, and compares. */
  fingerprint: fingerprintSchema,
  os_version: osVersionSchema,
  arch: archSchema,
  mesh_roles: z.array(z.enum(MESH_ROLES)),
});

export const challengeRequestSchema = z.strictObject({ desktop_nonce: nonce });
export const challengeResponseSchema = z.object({
  challenge_id: base64url32Schema,
  node_nonce: nonce,
  /** HMAC-SHA256(pairing key, proofMessage('node', …)), base64url. */
  node_proof: base64url32Schema,
  /** Seconds the challenge stays open for its `proof`; it is single-use. */
  expires_in: seconds,
});

export const proofRequestSchema = z.strictObject({
  challenge_id: base64url32Schema,
  /** HMAC-SHA256(pairing key, proofMessage('desktop', …)), base64url. */
  desktop_proof: base64url32Schema,
});
export const proofResponseSchema = z.object({ session_token: base64url32Schema, expires_in: seconds });

/** `auto`: redeem the seeded enrollment token if there is one, else run the device flow. */
export const pairingStartRequestSchema = z.strictObject({ mode: z.enum(['auto', 'device_flow']).default('auto') });

/** Why a pairing ended without credentials, each a state the desktop can explain. */
export const PAIRING_FAILURES = ['access_denied', 'expired_token', 'enrollment_token_refused', 'portal_unreachable', 'portal_error'] as const;

const deviceCodes = deviceAuthorizationResponseSchema.pick({
  user_code: true,
  verification_uri: true,
  verification_uri_complete: true,
  interval: true,
});

/**
 * The node's pairing, as a union on `state`. `awaiting_user` carries what the user needs and nothing more: the
 * device_code stays on the node, and the branch is strict so a node that validates what it sends cannot leak it.
 * Its `expires_in` counts from this response, not from the Portal's.
 */
export const pairingStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('idle') }),
  z.object({ state: z.literal('redeeming') }),
  z.strictObject({ state: z.literal('awaiting_user'), ...deviceCodes.shape, expires_in: z.number().int().nonnegative() }),
  z.object({ state: z.literal('paired'), user_name: z.string(), org_identity: z.string() }),
  z.object({ state: z.literal('failed'), reason: z.enum(PAIRING_FAILURES), message: z.string() }),
]);
export type PairingStatus = z.infer<typeof pairingStatusSchema>;

export const NODE_API_ERRORS = [
  'invalid_request',
  'unauthorized',
  'unknown_challenge',
  'challenge_expired',
  'proof_invalid',
  'rate_limited',
  'already_paired',
  'not_found',
  // Adoption (adopt-api.ts): the node has a key already / has none yet; a wrong setup code; too many of them.
  'not_adoptable',
  'not_adopted',
  'code_invalid',
  'adoption_locked',
  'no_seed_report',
] as const;
export const nodeApiErrorSchema = z.object({ error: z.enum(NODE_API_ERRORS), message: z.string() });

/** Every route: method, path, who may call it, and its schemas (`request: null` for a GET). */
export const NODE_API = {
  info: { method: 'GET', path: '/api/v1/info', auth: 'none', request: null, response: nodeInfoSchema },
  challenge: { method: 'POST', path: '/api/v1/challenge', auth: 'none', request: challengeRequestSchema, response: challengeResponseSchema },
  proof: { method: 'POST', path: '/api/v1/proof', auth: 'none', request: proofRequestSchema, response: proofResponseSchema },
  pairingStart: { method: 'POST', path: '/api/v1/pairing/start', auth: 'session', request: pairingStartRequestSchema, response: pairingStatusSchema },
  pairingStatus: { method: 'GET', path: '/api/v1/pairing/status', auth: 'session', request: null, response: pairingStatusSchema },
  seedReport: { method: 'GET', path: '/api/v1/seed-report', auth: 'session', request: null, response: signedSeedReportSchema },
  adoptStart: { method: 'POST', path: '/api/v1/adopt/start', auth: 'none', request: adoptStartRequestSchema, response: adoptStartResponseSchema },
  adoptFinish: { method: 'POST', path: '/api/v1/adopt/finish', auth: 'none', request: adoptFinishRequestSchema, response: adoptFinishResponseSchema },
} as const;
export type NodeApiRoute = keyof typeof NODE_API;

/** The TXT `st` a node advertises while its pairing is in `state`. */
export function txtStateOf(state: PairingStatus['state']): NodeState {
  switch (state) {
    case 'idle':
    case 'failed':
      return 'unpaired';
    case 'redeeming':
    case 'awaiting_user':
      return 'pairing';
    case 'paired':
      return 'paired';
    default:
      return assertNever(state);
  }
}
