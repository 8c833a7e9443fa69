import { z } from 'zod';
import { base64url32Schema } from './base64url';
import { nodeIdSchema, pairingKeySchema, portalUrlSchema } from './seed-formats';

/**
 * Adopting a node that was not seeded here (issue 14 item 3): CPace (draft-irtf-cfrg-cpace, X25519/SHA-512) keyed
 * with the setup code on the node's console, then the desktop's new pairing key sent sealed under the exchange's
 * key. The desktop is CPace's initiator A, the node its responder B:
 *
 *   1. POST adopt/start  {sid, desktop_share}            → {adoption_id, node_share}    (Ya out, Yb back)
 *   2. POST adopt/finish {adoption_id, desktop_confirm,   → {node_confirm, node_id}     (node checks Ta first,
 *                         sealed: AES-256-GCM(grant)}                                     then opens the grant)
 *
 * The node answers with nothing derived from the key until the desktop's tag checks out, so a desktop with a wrong
 * code learns only "wrong" and spends one of the node's five tries; a passive watcher sees two random points. The
 * channel identifier CI binds the node id and the TLS certificate fingerprint the desktop pinned, so a relay with
 * its own certificate gets a different key. Layouts: electron/engine/fleet/adopt-crypto.ts.
 */

/** 16 bytes as canonical unpadded base64url (22 characters; the last one carries 2 bits, so 4 low bits are zero). */
const base64url16 = z.string().regex(/^[A-Za-z0-9_-]{21}[AQgw]$/, 'must be 16 bytes as unpadded base64url');
/** 12 bytes: 16 characters, no spare bits. */
const base64url12 = z.string().regex(/^[A-Za-z0-9_-]{16}$/, 'must be 12 bytes as unpadded base64url');
/** 64 bytes (an HMAC-SHA-512 tag): 86 characters, 4 spare bits zero. */
const base64url64 = z.string().regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, 'must be 64 bytes as unpadded base64url');

export const adoptStartRequestSchema = z.strictObject({
  /** CPace's sid, fresh from the desktop for each exchange. */
  sid: base64url16,
  /** Ya = ya·g: a Curve25519 u-coordinate. */
  desktop_share: base64url32Schema,
});
export const adoptStartResponseSchema = z.object({
  adoption_id: base64url32Schema,
  /** Yb = yb·g. */
  node_share: base64url32Schema,
  /** Seconds the exchange stays open for its `finish`. */
  expires_in: z.number().int().positive(),
});

/** AES-256-GCM (NIST SP 800-38D) under a key derived from ISK: 12-byte IV, ciphertext, 16-byte tag. */
export const sealedBoxSchema = z.strictObject({
  iv: base64url12,
  ciphertext: z.string().regex(/^[A-Za-z0-9_-]{1,4096}$/),
  tag: base64url16,
});
export type SealedBox = z.infer<typeof sealedBoxSchema>;

export const adoptFinishRequestSchema = z.strictObject({
  adoption_id: base64url32Schema,
  /** Ta: the desktop's key-confirmation tag. */
  desktop_confirm: base64url64,
  /** The grant (below), sealed. */
  sealed: sealedBoxSchema,
});
export const adoptFinishResponseSchema = z.object({
  /** Tb: the node's key-confirmation tag, sent only after Ta checked out. */
  node_confirm: base64url64,
  node_id: nodeIdSchema,
});

/** What the desktop installs on the node, inside the sealed box: its pairing key and, if it has one, its Portal. */
export const adoptionGrantSchema = z.strictObject({
  node_id: nodeIdSchema,
  pairing_key: pairingKeySchema,
  portal_url: portalUrlSchema.optional(),
});
export type AdoptionGrant = z.infer<typeof adoptionGrantSchema>;

/** Wrong codes before the node locks adoption, and for how long (docs/fleet.md, "Adopting a node"). */
export const ADOPT_MAX_WRONG_CODES = 5;
export const ADOPT_LOCK_SECONDS = 15 * 60;
/** How long one setup code is valid; the node shows a fresh one after that. */
export const SETUP_CODE_TTL_SECONDS = 30 * 60;
/** How long a started exchange waits for its `finish`. */
export const ADOPT_EXCHANGE_TTL_SECONDS = 60;
