import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEVICE_CODE_GRANT_TYPE,
  ENROLLMENT_TOKEN_SCOPE,
  MACULA_NODE_CLIENT_ID,
  PORTAL_ENDPOINTS,
  type DeviceAuthorizationResponse,
  enrollmentTokenErrorSchema,
  pairResponseSchema,
  tokenResponseSchema,
} from '../shared/fleet/portal-contract';
import type { PortalEvent } from '../shared/ipc-events';
import { PortalSignIns } from '../electron/engine/app/portal-sign-ins';
import { type PortalSession, signInToPortal } from '../electron/engine/portal/desktop-sign-in';
import type { FlowClock } from '../electron/engine/portal/device-flow';
import { PortalSignInError } from '../electron/engine/portal/sign-in-error';
import { type PortalContractServer, startPortalContractServer } from './portal/contract-server';

/**
 * The desktop's "Sign in to the Portal" (electron/engine/portal/) against the Portal contract server over real HTTP on
 * loopback: RFC 8628 as the `macula-companion` client, then `POST /api/console/enrollment-tokens` once per node with
 * the access token as a bearer token. Time is the test's: the engine's sleeps move the server's clock, so nothing waits.
 */

const START = Date.UTC(2026, 0, 7, 12);

let portal: PortalContractServer;
/** The server's clock and the engine's; they move together unless a test suspends the desktop. */
let serverNow: number;
let desktopNow: number;
let sleeps: number[];
/** Runs before the n-th sleep returns (1-based): where a test approves, denies or suspends. */
let onSleep: (n: number) => void;

const clock: FlowClock = {
  now: () => desktopNow,
  sleep: async (ms, signal) => {
    if (signal.aborted) return;
    sleeps.push(ms);
    serverNow += ms;
    desktopNow += ms;
    onSleep(sleeps.length);
  },
};

beforeEach(async () => {
  serverNow = desktopNow = START;
  sleeps = [];
  onSleep = () => undefined;
  portal = await startPortalContractServer({ clock: () => serverNow, expiresIn: 600, interval: 5, identity: { userName: 'Ada Lovelace', orgIdentity: 'analytical-engines' } });
});
afterEach(async () => {
  await portal.close();
});

function signIn(onCodes: (codes: DeviceAuthorizationResponse) => void, signal = new AbortController().signal): Promise<PortalSession> {
  return signInToPortal({ portalUrl: portal.origin, allowHttp: true, clock, signal, onCodes });
}

const NODES = [
  { nodeId: '11111111-9d4a-4e7b-8c2d-5a6f7e8d9c0b', hostname: 'edge-01' },
  { nodeId: '22222222-9d4a-4e7b-8c2d-5a6f7e8d9c0b', hostname: 'edge-02' },
  { nodeId: '33333333-9d4a-4e7b-8c2d-5a6f7e8d9c0b', hostname: undefined },
];

const redeem = (token: string, nodeId: string) =>
  fetch(portal.url(PORTAL_ENDPOINTS.pair.path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrollment_token: token, node_id: nodeId }) });

async function failure(p: Promise<unknown>): Promise<PortalSignInError> {
  const e: unknown = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(PortalSignInError);
  return e as PortalSignInError;
}

describe('desktop Portal sign-in (RFC 8628) against the contract server', () => {
  it('is approved once, then mints one enrollment token per node, each redeemable once and only by its node', async () => {
    let code = '';
    const session = await signIn((codes) => {
      code = codes.user_code;
      expect(new URL(codes.verification_uri_complete).searchParams.get('user_code')).toBe(codes.user_code);
      onSleep = (n) => n === 2 && portal.approve(code);
    });
    expect(session).toMatchObject({ userName: 'Ada Lovelace', orgIdentity: 'analytical-engines' });
    // Polled at the interval, never faster: pending once, then approved.
    expect(sleeps).toEqual([5000, 5000]);
    expect(portal.issuedEnrollmentTokens).toEqual([]);
    const minted = await session.mintEnrollmentTokens(NODES, new AbortController().signal);
    expect(minted.map((m) => m.nodeId)).toEqual(NODES.map((n) => n.nodeId));
    expect(new Set(minted.map((m) => m.enrollmentToken)).size).toBe(3);
    expect(portal.issuedEnrollmentTokens).toEqual(minted.map((m) => m.enrollmentToken));
    for (const [i, m] of minted.entries()) {
      expect(Date.parse(m.expiresAt)).toBeGreaterThan(serverNow);
      // Labelled on the Portal with the node it is for.
      expect(portal.mintedFor(m.enrollmentToken)).toEqual({ nodeId: m.nodeId, label: expect.stringContaining(m.nodeId) as string });
      if (NODES[i]?.hostname) expect(portal.mintedFor(m.enrollmentToken)?.label).toContain(NODES[i]?.hostname);
    }
    // The access token stays in the engine: nothing the session gives out carries it.
    const [access] = portal.issuedAccessTokens();
    expect(access).toBeDefined();
    expect(JSON.stringify({ ...session, minted })).not.toContain(access);
    const [first, second] = minted;
    if (!first || !second) throw new Error('unreachable');
    // Another node cannot redeem a token minted for the first (a seed copied to another stick).
    const stolen = await redeem(first.enrollmentToken, second.nodeId);
    expect([stolen.status, ((await stolen.json()) as { error: string }).error]).toEqual([403, 'enrollment_token_other_node']);
    const pair = await redeem(first.enrollmentToken, first.nodeId);
    expect(pair.status).toBe(200);
    expect(pairResponseSchema.parse(await pair.json())).toMatchObject({ user_name: 'Ada Lovelace', org_identity: 'analytical-engines' });
    // Redeemed twice: refused.
    const again = await redeem(first.enrollmentToken, first.nodeId);
    expect([again.status, ((await again.json()) as { error: string }).error]).toEqual([409, 'enrollment_token_used']);
  });

  it('ends with access_denied when the user denies it on the Portal', async () => {
    const e = await failure(signIn((codes) => (onSleep = (n) => n === 1 && portal.deny(codes.user_code))));
    expect([e.code, e.reason]).toEqual(['ERR_SIGN_IN_FAILED', 'access_denied']);
    expect(e.message).toMatch(/denied/);
    expect(portal.issuedEnrollmentTokens).toEqual([]);
  });

  it('honours slow_down: 5 s more for that and every later poll (RFC 8628 §3.5)', async () => {
    const session = await signIn((codes) => {
      portal.slowDown(codes.user_code);
      onSleep = (n) => n === 3 && portal.approve(codes.user_code);
    });
    // slow_down after the first poll; polling 5 s apart again would be answered slow_down until the code expired.
    expect(sleeps).toEqual([5000, 10000, 10000]);
    expect(session.userName).toBe('Ada Lovelace');
  });

  it('ends with expired_token when the Portal says the code expired', async () => {
    // The desktop slept (suspended) through the code's lifetime; only the Portal's clock knows.
    const e = await failure(signIn(() => (onSleep = (n) => n === 2 && (serverNow += 600_000))));
    expect(e.reason).toBe('expired_token');
    expect(sleeps).toHaveLength(2);
  });

  it("stops at the code's own expires_in without asking the Portal again", async () => {
    await portal.close();
    const tokenRequests: number[] = [];
    portal = await startPortalContractServer({
      clock: () => serverNow,
      expiresIn: 20,
      interval: 5,
      onRequest: ({ path, status }) => path === PORTAL_ENDPOINTS.token.path && tokenRequests.push(status),
    });
    const e = await failure(signIn(() => undefined));
    expect(e.reason).toBe('expired_token');
    // Polls at 5, 10 and 15 s (all pending); at 20 s the code is dead and no fourth request is made.
    expect(sleeps).toEqual([5000, 5000, 5000, 5000]);
    expect(tokenRequests).toEqual([400, 400, 400]);
  });

  it('ends with insufficient_scope at sign-in when the Portal grants less than enrollment_tokens:issue', async () => {
    await portal.close();
    portal = await startPortalContractServer({ clock: () => serverNow, expiresIn: 600, interval: 5, grantScope: () => 'profile' });
    const e = await failure(signIn((codes) => (onSleep = (n) => n === 1 && portal.approve(codes.user_code))));
    expect(e.reason).toBe('insufficient_scope');
    expect(portal.issuedEnrollmentTokens).toEqual([]);
  });

  it('says the Portal is unreachable when nothing answers', async () => {
    const origin = portal.origin;
    await portal.close();
    const e = await failure(signInToPortal({ portalUrl: origin, allowHttp: true, clock, signal: new AbortController().signal, onCodes: () => undefined }));
    expect(e.reason).toBe('portal_unreachable');
    expect(e.message).toContain(origin);
    portal = await startPortalContractServer();
  });

  it('refuses a plain-http Portal unless told otherwise', async () => {
    await expect(signInToPortal({ portalUrl: portal.origin, clock, signal: new AbortController().signal, onCodes: () => undefined })).rejects.toMatchObject({
      code: 'ERR_HTTP_INSECURE',
    });
  });

  it('stops polling when cancelled', async () => {
    const controller = new AbortController();
    const run = signIn(() => (onSleep = (n) => n === 2 && controller.abort()), controller.signal);
    await expect(run).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(sleeps).toHaveLength(2);
  });
});

describe('POST /api/console/enrollment-tokens (RFC 6750 bearer)', () => {
  const mint = (authorization?: string) =>
    fetch(portal.url(PORTAL_ENDPOINTS.enrollmentTokens.path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ node_id: NODES[0]?.nodeId }),
    });

  it('refuses no token or an unknown one (401 invalid_token), and a token without the scope (403 insufficient_scope)', async () => {
    const none = await mint();
    expect([none.status, enrollmentTokenErrorSchema.parse(await none.json()).error]).toEqual([401, 'invalid_token']);
    expect(none.headers.get('www-authenticate')).toContain('invalid_token');
    const unknown = await mint('Bearer not-issued-here');
    expect(unknown.status).toBe(401);

    // A node's access token (scope "node") cannot mint enrollment tokens.
    const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const codes = (await (await fetch(portal.url(PORTAL_ENDPOINTS.deviceAuthorization.path), form({ client_id: MACULA_NODE_CLIENT_ID, scope: 'node', node_id: 'node-0001', node_fingerprint: 'A'.repeat(43) }))).json()) as DeviceAuthorizationResponse;
    portal.approve(codes.user_code);
    serverNow += 5000;
    const tokens = tokenResponseSchema.parse(
      await (await fetch(portal.url(PORTAL_ENDPOINTS.token.path), form({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: codes.device_code, client_id: MACULA_NODE_CLIENT_ID }))).json(),
    );
    const scoped = await mint(`Bearer ${tokens.access_token}`);
    expect([scoped.status, enrollmentTokenErrorSchema.parse(await scoped.json()).error]).toEqual([403, 'insufficient_scope']);
    expect(scoped.headers.get('www-authenticate')).toContain(ENROLLMENT_TOKEN_SCOPE);
    expect(portal.issuedEnrollmentTokens).toEqual([]);
  });
});

describe('the engine sign-ins behind portal.signIn', () => {
  it('reports codes with a QR code, then signed_in; a flash naming the sign-in mints a token per node, and no event carries one', async () => {
    const events: PortalEvent[] = [];
    const signIns = new PortalSignIns({ emit: (e) => events.push(e), http: { allowHttp: true }, clock });
    let approved = false;
    onSleep = () => {
      const waiting = events.map((e) => e.status).find((s) => s.state === 'awaiting_user');
      if (waiting?.state === 'awaiting_user' && !approved) {
        approved = true;
        portal.approve(waiting.userCode);
      }
    };
    const { signInId } = signIns.start(portal.origin);
    await expect.poll(() => events.at(-1)?.status.state, { timeout: 10_000 }).toBe('signed_in');
    expect(events.map((e) => e.status.state)).toEqual(['starting', 'awaiting_user', 'signed_in']);
    const waiting = events[1]?.status;
    expect(waiting?.state === 'awaiting_user' && waiting.qrSvg).toMatch(/^<svg/);
    const signal = new AbortController().signal;
    // A seed that names another Portal than the one signed in to gets nothing minted.
    expect(() => signIns.mint(signInId, NODES, signal, 'https://portal.example.com')).toThrow(/sign-in is for .* the seed names/);
    const minted = await signIns.mint(signInId, NODES, signal, portal.origin);
    expect(minted.map((m) => m.enrollmentToken)).toEqual(portal.issuedEnrollmentTokens);
    expect(portal.issuedEnrollmentTokens).toHaveLength(3);
    expect(() => signIns.mint('another-sign-in', NODES, signal, portal.origin)).toThrow(/sign in to the Portal again/);
    // No event carries a secret: neither an enrollment token nor the access token.
    const wire = JSON.stringify(events);
    for (const secret of [...portal.issuedEnrollmentTokens, ...portal.issuedAccessTokens()]) expect(wire).not.toContain(secret);
  });

  it('reports a denial as failed with its reason, and a bad URL at once', async () => {
    const events: PortalEvent[] = [];
    const signIns = new PortalSignIns({ emit: (e) => events.push(e), http: { allowHttp: true }, clock });
    let denied = false;
    onSleep = () => {
      const waiting = events.map((e) => e.status).find((s) => s.state === 'awaiting_user');
      if (waiting?.state === 'awaiting_user' && !denied) {
        denied = true;
        portal.deny(waiting.userCode);
      }
    };
    signIns.start(portal.origin);
    await expect.poll(() => events.at(-1)?.status.state, { timeout: 10_000 }).toBe('failed');
    expect(events.at(-1)?.status).toMatchObject({ state: 'failed', code: 'ERR_SIGN_IN_FAILED', reason: 'access_denied' });
    expect(() => signIns.start('not a url')).toThrow(/not a valid URL/);
  });
});
