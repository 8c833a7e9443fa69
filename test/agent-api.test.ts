import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../image-build/agent/src/agent';
import { type NodeFixture, makeNodeFixture } from '../image-build/agent/testing/fixtures';
import { type PinnedResponse, pinnedRequest, proofFor, randomNonce, runHandshake } from '../image-build/agent/testing/pinned-client';
import { base64urlToBytes } from '../shared/fleet/base64url';
import { NODE_API, challengeResponseSchema, nodeApiErrorSchema, nodeInfoSchema, pairingStatusSchema, proofResponseSchema } from '../shared/fleet/node-api';

/**
 * The node agent's HTTPS API for real: its own certificate on 127.0.0.1, pinned by fingerprint; the handshake with
 * proofs checked both ways (by arithmetic written apart from the agent's); wrong keys, replays and floods refused.
 */

let fixture: NodeFixture | undefined;
let agent: RunningAgent | undefined;

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await fixture?.cleanup();
  fixture = undefined;
});

/** The fixture of this test (made by `start` if the test did not make it first). */
function node(): NodeFixture {
  if (!fixture) throw new Error('no fixture');
  return fixture;
}

async function start(extra: Partial<Parameters<typeof startAgent>[0]> = {}): Promise<RunningAgent> {
  fixture ??= await makeNodeFixture();
  agent = await startAgent({ seed: fixture.seedPath, stateDir: fixture.stateDir, host: '127.0.0.1', port: 0, mdns: false, osVersion: '0.1.0', ...extra });
  return agent;
}

function call(a: RunningAgent, method: string, path: string, options: Parameters<typeof pinnedRequest>[3] = {}): Promise<PinnedResponse> {
  return pinnedRequest({ host: '127.0.0.1', port: a.port, pin: a.fingerprint }, method, path, options);
}

function errorOf(res: PinnedResponse): string {
  return nodeApiErrorSchema.parse(res.json()).error;
}

function handshake(a: RunningAgent, key: Uint8Array): Promise<PinnedResponse> {
  return runHandshake({ host: '127.0.0.1', port: a.port, pin: a.fingerprint }, key);
}

describe('node agent API', () => {
  it('serves info over TLS with its own certificate, kept 0600 and the same across restarts', async () => {
    fixture = await makeNodeFixture();
    const a = await start();
    const res = await call(a, 'GET', NODE_API.info.path);
    expect(res.status).toBe(200);
    expect(res.fingerprint).toBe(a.fingerprint);
    const info = nodeInfoSchema.parse(res.json());
    expect(info).toMatchObject({ node_id: node().nodeId, state: 'unpaired', fingerprint: a.fingerprint, hostname: 'macula-test-01', mesh_roles: ['relay'] });
    expect((await stat(join(node().stateDir, 'agent', 'tls-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(node().stateDir, 'agent'))).mode & 0o777).toBe(0o700);
    // Nothing secret in what anyone may read.
    expect(res.body).not.toContain(node().key);

    const first = a.fingerprint;
    await a.close();
    const again = await start();
    expect(again.fingerprint).toBe(first);
  });

  it('refuses a client that pins another fingerprint before sending anything', async () => {
    const a = await start();
    const other = Buffer.from(randomBytes(32)).toString('base64url');
    await expect(pinnedRequest({ host: '127.0.0.1', port: a.port, pin: other }, 'GET', NODE_API.info.path)).rejects.toThrow(/not the pinned/);
  });

  it('proves the node holds the seeded key, bound to its certificate and the desktop nonce', async () => {
    fixture = await makeNodeFixture();
    const a = await start();
    const nonce = randomNonce();
    const res = await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: nonce.text } });
    expect(res.status).toBe(200);
    const c = challengeResponseSchema.parse(res.json());
    const nodeNonce = base64urlToBytes(c.node_nonce);
    const seenFp = base64urlToBytes(res.fingerprint);
    expect(c.node_proof).toBe(proofFor('node', node().keyBytes, nonce.bytes, nodeNonce, seenFp));
    // A desktop with another key, another nonce, or another certificate in view does not accept it.
    expect(c.node_proof).not.toBe(proofFor('node', new Uint8Array(randomBytes(32)), nonce.bytes, nodeNonce, seenFp));
    expect(c.node_proof).not.toBe(proofFor('node', node().keyBytes, randomNonce().bytes, nodeNonce, seenFp));
    expect(c.node_proof).not.toBe(proofFor('node', node().keyBytes, nonce.bytes, nodeNonce, new Uint8Array(randomBytes(32))));
    // Reflection: the node's proof is not a desktop proof.
    expect(c.node_proof).not.toBe(proofFor('desktop', node().keyBytes, nonce.bytes, nodeNonce, seenFp));
  });

  it('gives a session only to a desktop proving the same key; challenges are single-use', async () => {
    fixture = await makeNodeFixture();
    const a = await start();
    const wrong = await handshake(a, new Uint8Array(randomBytes(32)));
    expect(wrong.status).toBe(403);
    expect(errorOf(wrong)).toBe('proof_invalid');

    const nonce = randomNonce();
    const c = challengeResponseSchema.parse((await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: nonce.text } })).json());
    const proof = proofFor('desktop', node().keyBytes, nonce.bytes, base64urlToBytes(c.node_nonce), base64urlToBytes(a.fingerprint));
    const ok = await call(a, 'POST', NODE_API.proof.path, { body: { challenge_id: c.challenge_id, desktop_proof: proof } });
    expect(ok.status).toBe(200);
    const session = proofResponseSchema.parse(ok.json());
    const replay = await call(a, 'POST', NODE_API.proof.path, { body: { challenge_id: c.challenge_id, desktop_proof: proof } });
    expect(replay.status).toBe(400);
    expect(errorOf(replay)).toBe('unknown_challenge');

    expect((await call(a, 'GET', NODE_API.pairingStatus.path)).status).toBe(401);
    expect((await call(a, 'GET', NODE_API.pairingStatus.path, { token: Buffer.from(randomBytes(32)).toString('base64url') })).status).toBe(401);
    const status = await call(a, 'GET', NODE_API.pairingStatus.path, { token: session.session_token });
    expect(status.status).toBe(200);
    expect(pairingStatusSchema.parse(status.json())).toEqual({ state: 'idle' });
  });

  it('refuses malformed requests with the schema, and unknown paths', async () => {
    const a = await start();
    const extra = await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: randomNonce().text, admin: true } });
    expect(extra.status).toBe(400);
    expect(errorOf(extra)).toBe('invalid_request');
    const short = await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: 'abc' } });
    expect(short.status).toBe(400);
    expect((await call(a, 'POST', NODE_API.challenge.path, { rawBody: '{not json' })).status).toBe(400);
    expect((await call(a, 'GET', '/api/v1/secrets')).status).toBe(404);
  });

  it('rate-limits challenge and proof per client address (429 with Retry-After)', async () => {
    const a = await start({ rateLimit: { max: 5, windowMs: 60_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: randomNonce().text } })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await call(a, 'POST', NODE_API.proof.path, { body: { challenge_id: randomNonce().text, desktop_proof: randomNonce().text } });
    expect(limited.status).toBe(429);
    expect(errorOf(limited)).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // info is not counted: anyone may still ask who the node is.
    expect((await call(a, 'GET', NODE_API.info.path)).status).toBe(200);
  });

  it('lets the window pass with the clock', async () => {
    let now = 1_000_000;
    const clock = { now: () => now, sleep: () => Promise.resolve() };
    const a = await start({ clock, rateLimit: { max: 1, windowMs: 60_000 } });
    expect((await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: randomNonce().text } })).status).toBe(200);
    expect((await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: randomNonce().text } })).status).toBe(429);
    now += 60_001;
    expect((await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: randomNonce().text } })).status).toBe(200);
  });

  it('refuses an expired challenge', async () => {
    fixture = await makeNodeFixture();
    let now = 1_000_000;
    const a = await start({ clock: { now: () => now, sleep: () => Promise.resolve() } });
    const nonce = randomNonce();
    const c = challengeResponseSchema.parse((await call(a, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: nonce.text } })).json());
    now += c.expires_in * 1000;
    const proof = proofFor('desktop', node().keyBytes, nonce.bytes, base64urlToBytes(c.node_nonce), base64urlToBytes(a.fingerprint));
    const res = await call(a, 'POST', NODE_API.proof.path, { body: { challenge_id: c.challenge_id, desktop_proof: proof } });
    expect(errorOf(res)).toBe('challenge_expired');
  });

  it('will not talk to an http Portal unless told it is a test', async () => {
    fixture = await makeNodeFixture();
    await expect(start({ portalUrl: 'http://127.0.0.1:9/' })).rejects.toMatchObject({ code: 'ERR_HTTP_INSECURE' });
  });
});
