import { createHash, createHmac, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { base64urlToBytes, bytesToBase64url } from '../../../shared/fleet/base64url';
import { NODE_API, challengeResponseSchema, proofResponseSchema } from '../../../shared/fleet/node-api';
import { type ProofRole, proofMessage } from '../../../shared/fleet/pairing-proof';

/**
 * Test support, not shipped: a desktop's side of the node API in a few lines — HTTPS that trusts exactly one
 * certificate fingerprint (no CA, no host name), and the proof arithmetic. The real desktop lives in electron/engine/fleet.
 */

export interface PinnedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** base64url SHA-256 of the certificate the server presented. */
  readonly fingerprint: string;
  json(): unknown;
}

/** One request to `https://host:port/path`; rejects before sending a byte if the certificate is not `pin`. */
export function pinnedRequest(
  target: { host: string; port: number; pin: string },
  method: string,
  path: string,
  options: { body?: unknown; token?: string; rawBody?: string } = {},
): Promise<PinnedResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const req = request({
      host: target.host,
      port: target.port,
      method,
      path,
      // Chain and name checks are replaced by the pin below, as the desktop does for a self-signed node.
      rejectUnauthorized: false,
      // A fresh connection each time, so the pin is checked on every request.
      agent: false,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
    });
    let seen = '';
    req.on('socket', (socket) => {
      (socket as TLSSocket).once('secureConnect', () => {
        const cert = (socket as TLSSocket).getPeerCertificate();
        seen = bytesToBase64url(new Uint8Array(createHash('sha256').update(cert.raw).digest()));
        if (seen !== target.pin) req.destroy(new Error(`certificate fingerprint ${seen} is not the pinned ${target.pin}`));
        else if (payload !== undefined) req.end(payload);
        else req.end();
      });
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint: seen, json: () => JSON.parse(body) as unknown });
      });
    });
  });
}

export function randomNonce(): { bytes: Uint8Array; text: string } {
  const bytes = new Uint8Array(randomBytes(32));
  return { bytes, text: bytesToBase64url(bytes) };
}

/** A proof as the desktop computes it (written here apart from the agent's proofs.ts, so a bug there shows). */
export function proofFor(role: ProofRole, key: Uint8Array, desktopNonce: Uint8Array, nodeNonce: Uint8Array, fingerprint: Uint8Array): string {
  const mac = createHmac('sha256', key).update(proofMessage(role, { desktopNonce, nodeNonce, fingerprint })).digest();
  return bytesToBase64url(new Uint8Array(mac));
}

/** challenge + proof with `key`, as a desktop does; returns the proof response (a session token on success). */
export async function runHandshake(target: { host: string; port: number; pin: string }, key: Uint8Array): Promise<PinnedResponse> {
  const nonce = randomNonce();
  const res = await pinnedRequest(target, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: nonce.text } });
  const challenge = challengeResponseSchema.parse(res.json());
  const proof = proofFor('desktop', key, nonce.bytes, base64urlToBytes(challenge.node_nonce), base64urlToBytes(res.fingerprint));
  return pinnedRequest(target, 'POST', NODE_API.proof.path, { body: { challenge_id: challenge.challenge_id, desktop_proof: proof } });
}

/** A session token for `key`, or throws. */
export async function openSession(target: { host: string; port: number; pin: string }, key: Uint8Array): Promise<string> {
  const res = await runHandshake(target, key);
  if (res.status !== 200) throw new Error(`handshake refused: ${res.status} ${res.body}`);
  return proofResponseSchema.parse(res.json()).session_token;
}
