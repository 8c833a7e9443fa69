import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemBootConditions } from '../image-build/agent/src/boot-conditions';
import { type AgentOptions, type RunningAgent, startAgent } from '../image-build/agent/src/agent';
import { type NodeFixture, makeNodeFixture } from '../image-build/agent/testing/fixtures';
import { type PinnedResponse, openSession, pinnedRequest, runHandshake } from '../image-build/agent/testing/pinned-client';
import { NODE_API, type PairingStatus, nodeApiErrorSchema, pairingStatusSchema } from '../shared/fleet/node-api';
import { PORTAL_ENDPOINTS } from '../shared/fleet/portal-contract';
import { parseTxtRecord } from '../shared/fleet/txt-record';
import { type PortalContractServer, startPortalContractServer } from './portal/contract-server';

/**
 * Pairing end to end against the real Portal contract server (test/portal): redeeming a seeded enrollment token,
 * the RFC 8628 device flow approved through the server, and the Portal's refusals — each ending in a state the
 * desktop can show; credentials stored as plan Phase 3 says; pairing endpoints closed afterwards.
 */

let fixture: NodeFixture | undefined;
let agent: RunningAgent | undefined;
let portal: PortalContractServer | undefined;

afterEach(async () => {
  await agent?.close();
  await portal?.close();
  await fixture?.cleanup();
  agent = undefined;
  portal = undefined;
  fixture = undefined;
});

async function setUp(options: { token?: boolean; agent?: Partial<AgentOptions>; interval?: number } = {}) {
  portal = await startPortalContractServer({ interval: options.interval ?? 1 });
  const token = options.token ? portal.addEnrollmentToken({ identity: { userName: 'Ada Admin', orgIdentity: 'org-acme' } }) : undefined;
  fixture = await makeNodeFixture(token ? { enrollmentToken: token } : {});
  agent = await startAgent({
    seed: fixture.seedPath,
    stateDir: fixture.stateDir,
    host: '127.0.0.1',
    port: 0,
    mdns: false,
    osVersion: '0.1.0',
    portalUrl: portal.origin,
    allowInsecurePortal: true,
    ...options.agent,
  });
  const target = { host: '127.0.0.1', port: agent.port, pin: agent.fingerprint };
  const session = await openSession(target, fixture.keyBytes);
  const call = (method: string, path: string, body?: unknown): Promise<PinnedResponse> =>
    pinnedRequest(target, method, path, { token: session, ...(body === undefined ? {} : { body }) });
  return { portal, fixture, agent, target, token, call };
}

/** Polls pairing/status (as a desktop does) until `done` holds or 10 s pass. */
async function waitForStatus(call: (m: string, p: string) => Promise<PinnedResponse>, done: (s: PairingStatus) => boolean): Promise<PairingStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await call('GET', NODE_API.pairingStatus.path);
    expect(res.status).toBe(200);
    const status = pairingStatusSchema.parse(res.json());
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`pairing stuck in ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectClosedAfterPairing(target: { host: string; port: number; pin: string }, keyBytes: Uint8Array): Promise<void> {
  const res = await runHandshake(target, keyBytes).catch(() => undefined);
  // The challenge itself is refused, so runHandshake fails parsing it: ask the endpoint directly for the status.
  expect(res).toBeUndefined();
  const challenge = await pinnedRequest(target, 'POST', NODE_API.challenge.path, { body: { desktop_nonce: 'A'.repeat(43) } });
  expect(challenge.status).toBe(410);
  expect(nodeApiErrorSchema.parse(challenge.json()).error).toBe('already_paired');
  const proof = await pinnedRequest(target, 'POST', NODE_API.proof.path, { body: { challenge_id: 'A'.repeat(43), desktop_proof: 'A'.repeat(43) } });
  expect(proof.status).toBe(410);
}

describe('node agent pairing with the Portal', () => {
  it('redeems the seeded enrollment token, stores portal.json 0600 in a 0700 folder, flips TXT to paired, closes the handshake', async () => {
    const { call, fixture: f, portal: p, agent: a, token, target } = await setUp({ token: true });
    expect(parseTxtRecord(a.txt).state).toBe('unpaired');
    const started = await call('POST', NODE_API.pairingStart.path, { mode: 'auto' });
    expect(started.status).toBe(200);
    const status = await waitForStatus(call, (s) => s.state === 'paired' || s.state === 'failed');
    expect(status).toEqual({ state: 'paired', user_name: 'Ada Admin', org_identity: 'org-acme' });
    expect(p.redeemedBy(token ?? '')).toBe(f.nodeId);

    const dir = join(f.stateDir, 'credentials');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'portal.json'))).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(join(dir, 'portal.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ node_id: f.nodeId, method: 'enrollment_token', user_name: 'Ada Admin', org_identity: 'org-acme' });
    expect(stored['refresh_token']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The enrollment token was spent, not kept.
    expect(JSON.stringify(stored)).not.toContain(token);

    expect(parseTxtRecord(a.txt).state).toBe('paired');
    await expectClosedAfterPairing(target, f.keyBytes);
    // The session still reads the status; info says paired.
    const info = await pinnedRequest(target, 'GET', NODE_API.info.path);
    expect(info.json()).toMatchObject({ state: 'paired' });
  });

  it('stays paired across a restart (credentials found), with the handshake still closed', async () => {
    const { call, fixture: f } = await setUp({ token: true });
    await call('POST', NODE_API.pairingStart.path, { mode: 'auto' });
    await waitForStatus(call, (s) => s.state === 'paired');
    await agent?.close();
    agent = await startAgent({ seed: f.seedPath, stateDir: f.stateDir, host: '127.0.0.1', port: 0, mdns: false, osVersion: '0.1.0' });
    expect(agent.state.state).toBe('paired');
    expect(parseTxtRecord(agent.txt).state).toBe('paired');
    await expectClosedAfterPairing({ host: '127.0.0.1', port: agent.port, pin: agent.fingerprint }, f.keyBytes);
  });

  it('reports a refused enrollment token (already used) as enrollment_token_refused', async () => {
    const { call, portal: p, token } = await setUp({ token: true });
    // Another node redeemed it first (a stick flashed twice).
    await fetch(p.url(PORTAL_ENDPOINTS.pair.path), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrollment_token: token, node_id: 'other-node-0001' }),
    });
    await call('POST', NODE_API.pairingStart.path, {});
    const status = await waitForStatus(call, (s) => s.state === 'failed' || s.state === 'paired');
    expect(status).toMatchObject({ state: 'failed', reason: 'enrollment_token_refused' });
    expect(parseTxtRecord(agent?.txt ?? []).state).toBe('unpaired');
  });

  it('runs the device flow: user code in the session status only (not on the first-boot page), approved on the Portal, then paired', async () => {
    const { call, fixture: f, portal: p, agent: a, target } = await setUp();
    await call('POST', NODE_API.pairingStart.path, { mode: 'auto' });
    const waiting = await waitForStatus(call, (s) => s.state === 'awaiting_user' || s.state === 'failed');
    if (waiting.state !== 'awaiting_user') throw new Error(`expected awaiting_user, got ${JSON.stringify(waiting)}`);
    expect(waiting.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(new URL(waiting.verification_uri_complete).searchParams.get('user_code')).toBe(waiting.user_code);
    expect(parseTxtRecord(a.txt).state).toBe('pairing');
    // The device code stays on the node.
    expect(JSON.stringify(waiting)).not.toContain('device_code');

    const page = await pinnedRequest(target, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).not.toContain(waiting.user_code);
    expect(page.body).toContain('id="awaiting"');

    p.approve(waiting.user_code, { userName: 'Phone User', orgIdentity: 'org-field' });
    const done = await waitForStatus(call, (s) => s.state === 'paired' || s.state === 'failed');
    expect(done).toEqual({ state: 'paired', user_name: 'Phone User', org_identity: 'org-field' });
    const stored = JSON.parse(await readFile(join(f.stateDir, 'credentials', 'portal.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ method: 'device_flow', user_name: 'Phone User', org_identity: 'org-field', node_id: f.nodeId });
    expect(typeof stored['access_token']).toBe('string');
    expect(parseTxtRecord(a.txt).state).toBe('paired');
    await expectClosedAfterPairing(target, f.keyBytes);
  });

  it('ends a denied device flow in failed/access_denied, and can start again', async () => {
    const { call } = await setUp();
    await call('POST', NODE_API.pairingStart.path, { mode: 'device_flow' });
    const waiting = await waitForStatus(call, (s) => s.state === 'awaiting_user');
    if (waiting.state !== 'awaiting_user') throw new Error('unreachable');
    portal?.deny(waiting.user_code);
    expect(await waitForStatus(call, (s) => s.state === 'failed')).toMatchObject({ reason: 'access_denied' });
    const again = await call('POST', NODE_API.pairingStart.path, { mode: 'device_flow' });
    expect(pairingStatusSchema.parse(again.json()).state).not.toBe('failed');
    expect((await waitForStatus(call, (s) => s.state === 'awaiting_user')).state).toBe('awaiting_user');
  });

  it('ends in failed/portal_error when the Portal answers 5xx', async () => {
    const { call, portal: p } = await setUp();
    p.failNext(PORTAL_ENDPOINTS.deviceAuthorization.path, 503);
    await call('POST', NODE_API.pairingStart.path, {});
    expect(await waitForStatus(call, (s) => s.state === 'failed')).toMatchObject({ reason: 'portal_error' });
  });

  it('ends in failed/expired_token when nobody approves in time (started by a desktop)', async () => {
    portal = await startPortalContractServer({ interval: 1, expiresIn: 1 });
    fixture = await makeNodeFixture();
    agent = await startAgent({ seed: fixture.seedPath, stateDir: fixture.stateDir, host: '127.0.0.1', port: 0, mdns: false, osVersion: '0.1.0', portalUrl: portal.origin, allowInsecurePortal: true });
    const target = { host: '127.0.0.1', port: agent.port, pin: agent.fingerprint };
    const session = await openSession(target, fixture.keyBytes);
    const call = (m: string, path: string, body?: unknown) => pinnedRequest(target, m, path, { token: session, ...(body === undefined ? {} : { body }) });
    await call('POST', NODE_API.pairingStart.path, { mode: 'device_flow' });
    expect(await waitForStatus(call, (s) => s.state === 'failed')).toMatchObject({ reason: 'expired_token' });
  });

  it('asks for a fresh code when one expires unapproved at boot (the code on the console stays usable)', async () => {
    portal = await startPortalContractServer({ interval: 1, expiresIn: 1 });
    fixture = await makeNodeFixture();
    const codes = new Set<string>();
    agent = await startAgent({
      seed: fixture.seedPath, stateDir: fixture.stateDir, host: '127.0.0.1', port: 0, mdns: false, osVersion: '0.1.0', portalUrl: portal.origin,
      allowInsecurePortal: true, pairOnStart: true, bootConditions: systemBootConditions({ clockBoundMs: 0 }),
    });
    await new Promise<void>((resolve) => {
      agent?.onChange((s) => {
        if (s.state === 'awaiting_user') codes.add(s.user_code);
        if (codes.size === 2) resolve();
      });
    });
    expect(agent.state.state).not.toBe('failed');
  }, 30_000);

  it('pairs on its own at start when told to (the phone path), without any desktop', async () => {
    const { call } = await setUp({ agent: { pairOnStart: true, bootConditions: systemBootConditions({ clockBoundMs: 0 }) } });
    expect((await waitForStatus(call, (s) => s.state === 'awaiting_user')).state).toBe('awaiting_user');
    // A desktop's start joins the running flow rather than opening a second one.
    const again = pairingStatusSchema.parse((await call('POST', NODE_API.pairingStart.path, {})).json());
    expect(again.state).toBe('awaiting_user');
  });
});
