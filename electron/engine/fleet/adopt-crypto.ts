import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { type AdoptionGrant, type SealedBox, adoptionGrantSchema } from '../../../shared/fleet/adopt-api';
import { base64urlToBytes, bytesToBase64url } from '../../../shared/fleet/base64url';
import { lvCat } from './cpace';

/**
 * The byte layouts of adoption (shared/fleet/adopt-api.ts), used by the node agent and the desktop alike: CPace's
 * channel identifier, its associated data, and the box the pairing key travels in.
 */

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export const ADOPT_LABEL = 'macula-adopt-v1';
/** ADa / ADb: the roles, so a desktop's message can never be reflected as the node's. */
export const ADOPT_AD_DESKTOP = utf8('desktop');
export const ADOPT_AD_NODE = utf8('node');

/**
 * CI = lv_cat("macula-adopt-v1", node id, SHA-256 of the node's certificate): the draft puts identities both sides
 * know before the run into CI. A relay that shows the desktop another certificate gives the two sides different CIs,
 * hence different keys, and the desktop's tag fails on the node.
 */
export function adoptChannelId(nodeId: string, fingerprint: Uint8Array): Uint8Array {
  return lvCat(utf8(ADOPT_LABEL), utf8(nodeId), fingerprint);
}

/** AES-256-GCM key for the grant: HKDF-SHA-256 (RFC 5869) of ISK, salted with sid. */
function sealKey(isk: Uint8Array, sid: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', isk, sid, `${ADOPT_LABEL}/grant`, 32));
}

/** Additional data of the box: the label and the node id, so a box for one node does not open on another. */
const aad = (nodeId: string): Buffer => Buffer.from(`${ADOPT_LABEL}/grant\0${nodeId}`, 'utf8');

export function sealGrant(isk: Uint8Array, sid: Uint8Array, grant: AdoptionGrant): SealedBox {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(isk, sid), iv);
  cipher.setAAD(aad(grant.node_id));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(adoptionGrantSchema.parse(grant)), 'utf8'), cipher.final()]);
  const b64 = (b: Buffer): string => bytesToBase64url(new Uint8Array(b));
  return { iv: b64(iv), ciphertext: b64(ciphertext), tag: b64(cipher.getAuthTag()) };
}

/** The grant in `box`, or undefined when it does not open (wrong key, tampered) or is not a grant for `nodeId`. */
export function openGrant(isk: Uint8Array, sid: Uint8Array, nodeId: string, box: SealedBox): AdoptionGrant | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(isk, sid), Buffer.from(base64urlToBytes(box.iv)));
    decipher.setAAD(aad(nodeId));
    decipher.setAuthTag(Buffer.from(base64urlToBytes(box.tag)));
    const text = Buffer.concat([decipher.update(Buffer.from(base64urlToBytes(box.ciphertext))), decipher.final()]).toString('utf8');
    const grant = adoptionGrantSchema.safeParse(JSON.parse(text) as unknown);
    return grant.success && grant.data.node_id === nodeId ? grant.data : undefined;
  } catch {
    return undefined;
  }
}
