import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { MaculaError } from '../../../shared/errors';
import { base64urlToBytes, bytesToBase64url } from '../../../shared/fleet/base64url';
import { NODE_API, nodeApiErrorSchema } from '../../../shared/fleet/node-api';
import { NONCE_BYTES, type ProofRole, proofMessage } from '../../../shared/fleet/pairing-proof';
import { type NodeEndpoint, type NodeResponse, callNode } from './pinned-https';

/**
 * The desktop's side of the node handshake (shared/fleet/node-api.ts): the node proves first that it holds the
 * pairing key this desktop seeded into it; only then does the desktop send its own proof and get a session. A node
 * that cannot prove the key gets nothing derived from it.
 */

function proof(role: ProofRole, key: Uint8Array, desktopNonce: Uint8Array, nodeNonce: Uint8Array, fingerprint: Uint8Array): Buffer {
  return createHmac('sha256', key).update(proofMessage(role, { desktopNonce, nodeNonce, fingerprint })).digest();
}

/** The node's error text, for a message; never the body as such (it is the node's, not ours). */
function nodeError(res: NodeResponse): string {
  const parsed = nodeApiErrorSchema.safeParse(res.json);
  return parsed.success ? `${parsed.data.error}: ${parsed.data.message}` : `HTTP ${res.status}`;
}

/** A 2xx answer in the route's schema, or ERR_NODE_API naming what went wrong. */
export function expectAnswer<S extends z.ZodType>(res: NodeResponse, schema: S, what: string): z.output<S> {
  if (res.status < 200 || res.status > 299) {
    throw new MaculaError('ERR_NODE_API', `the node refused ${what} (${nodeError(res)})`, { status: res.status });
  }
  const parsed = schema.safeParse(res.json);
  if (!parsed.success) throw new MaculaError('ERR_NODE_API', `the node's answer to ${what} is not in the protocol (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}

/** A session token from the node at `endpoint`, after both sides proved they hold `pairingKey` (32 bytes). */
export async function openNodeSession(endpoint: NodeEndpoint, pairingKey: Uint8Array): Promise<string> {
  const desktopNonce = new Uint8Array(randomBytes(NONCE_BYTES));
  const fingerprint = base64urlToBytes(endpoint.fingerprint);
  const challengeRes = await callNode(endpoint, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: bytesToBase64url(desktopNonce) } });
  if (challengeRes.status === 410) throw new MaculaError('ERR_PAIRING_FAILED', 'the node is already paired (it has closed its pairing endpoints)');
  const challenge = expectAnswer(challengeRes, NODE_API.challenge.response, 'the challenge');
  const nodeNonce = base64urlToBytes(challenge.node_nonce);
  const expected = proof('node', pairingKey, desktopNonce, nodeNonce, fingerprint);
  if (!timingSafeEqual(expected, Buffer.from(base64urlToBytes(challenge.node_proof)))) {
    throw new MaculaError(
      'ERR_NODE_IMPOSTOR',
      `the node at ${endpoint.host}:${endpoint.port} cannot prove the pairing key seeded into the node it claims to be: an impostor, or another node; nothing was sent to it`,
    );
  }
  const desktopProof = bytesToBase64url(new Uint8Array(proof('desktop', pairingKey, desktopNonce, nodeNonce, fingerprint)));
  const proofRes = await callNode(endpoint, 'POST', NODE_API.proof.path, { body: { challenge_id: challenge.challenge_id, desktop_proof: desktopProof } });
  return expectAnswer(proofRes, NODE_API.proof.response, 'our proof').session_token;
}
