import { afterEach, describe, expect, it, vi } from 'vitest';
import { type RunningAgent, startAgent } from '../image-build/agent/src/agent';
import type { PairingClock } from '../image-build/agent/src/pairing';
import { type NodeFixture, makeNodeFixture } from '../image-build/agent/testing/fixtures';
import { openSession, pinnedRequest } from '../image-build/agent/testing/pinned-client';
import { NODE_API, type PairingStatus } from '../shared/fleet/node-api';
import { PORTAL_ENDPOINTS, SLOW_DOWN_STEP } from '../shared/fleet/portal-contract';
import { parseTxtRecord } from '../shared/fleet/txt-record';
import { type PortalContractServer, startPortalContractServer } from './portal/contract-server';

/**
 * The Portal's error answers at the node agent (issue 5: "slow_down, expired_token, access_denied and 5xx each end in a
 * clear state"). The agent runs the RFC 8628 device flow against the real contract server, both on one virtual clock:
 * the agent's sleeps move it instead of waiting, so minutes of polling take milliseconds and every gap is exact. Each
 * token request and its answer are read off `fetch`, the agent's only way to the Portal. access_denied, an expiry the
 * node notices itself and a 503 of the device authorization are in agent-pairing.test.ts.
 */

/** Time that moves only when the agent sleeps. `hurry(n)` makes the next n sleeps last half as long as asked. */
class VirtualClock implements PairingClock {
  private t = Date.now();
  private hurried = 0;
  /** Every sleep the agent asked for, ms. */
  readonly sleeps: number[] = [];

  readonly now = (): number => this.t;

  hurry(n: number): void {
    this.hurried = n;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.t += this.hurried-- > 0 ? ms / 2 : ms;
    // A real tick, so the loop yields to the HTTP server and the test between polls.
    if (!signal.aborted) await new Promise((r) => setTimeout(r, 2));
  }
}

/** One token request as it went over the wire: when (virtual ms), the HTTP status and the OAuth `error`, if any. */
interface Poll {
  readonly at: number;
  readonly status: number;
  readonly error: string | undefined;
}

interface Setup {
  readonly agent: RunningAgent;
  readonly portal: PortalContractServer;
  readonly clock: VirtualClock;
  readonly polls: Poll[];
  /** Resolves with the first pairing status that is `paired` or `failed`. */
  readonly settled: Promise<PairingStatus>;
}

const EXPIRES_IN = 120;

let fixture: NodeFixture | undefined;
let running: Setup | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await running?.agent.close();
  await running?.portal.close();
  await fixture?.cleanup();
  running = undefined;
  fixture = undefined;
});

/**
 * A Portal (interval 1 s) and an agent that starts the device flow at once. `onPoll` runs after each token answer
 * is read, before the agent sees it — where a test approves the code at a chosen poll, deterministically.
 */
async function setUp(options: { hurry?: number; portalSkewMs?: () => number; onPoll?: (polls: readonly Poll[], userCode: string, portal: PortalContractServer) => void } = {}): Promise<Setup> {
  const clock = new VirtualClock();
  clock.hurry(options.hurry ?? 0);
  // Codes live 120 virtual seconds: enough for every flow here, and an agent that ignores slow_down runs out soon.
  const portal = await startPortalContractServer({ interval: 1, expiresIn: EXPIRES_IN, clock: () => clock.now() + (options.portalSkewMs?.() ?? 0) });
  fixture = await makeNodeFixture();
  const polls: Poll[] = [];
  let userCode = '';
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const res = await realFetch(input, init);
    const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
    const body = (await res.clone().json().catch(() => undefined)) as { error?: string; user_code?: string } | undefined;
    if (path === PORTAL_ENDPOINTS.deviceAuthorization.path) userCode = body?.user_code ?? '';
    if (path === PORTAL_ENDPOINTS.token.path) {
      polls.push({ at: clock.now(), status: res.status, error: body?.error });
      options.onPoll?.(polls, userCode, portal);
    }
    return res;
  });
  const agent = await startAgent({
    seed: fixture.seedPath,
    stateDir: fixture.stateDir,
    host: '127.0.0.1',
    port: 0,
    mdns: false,
    osVersion: '0.1.0',
    portalUrl: portal.origin,
    allowInsecurePortal: true,
    clock,
  });
  const settled = new Promise<PairingStatus>((resolve) => {
    agent.onChange((s) => {
      if (s.state === 'paired' || s.state === 'failed') resolve(s);
    });
  });
  // Started through the API (start()), not pairOnStart, so the listener above is attached before any change.
  running = { agent, portal, clock, polls, settled };
  return running;
}

/** A desktop's session on the agent, to start pairing the way `macula pair` does (pairing/start). */
async function openApi(setup: Setup): Promise<{ call: () => Promise<void> }> {
  const target = { host: '127.0.0.1', port: setup.agent.port, pin: setup.agent.fingerprint };
  const session = await openSession(target, fixture?.keyBytes ?? new Uint8Array());
  return {
    call: async () => {
      const res = await pinnedRequest(target, 'POST', NODE_API.pairingStart.path, { token: session, body: { mode: 'device_flow' } });
      expect(res.status).toBe(200);
    },
  };
}

/** Starts the device flow and waits for its end state. */
async function start(setup: Setup): Promise<PairingStatus> {
  expect(setup.agent.state.state).toBe('idle');
  const { call } = await openApi(setup);
  await call();
  return withTimeout(setup.settled, 10_000);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still not settled after ${ms} ms`)), ms))]);
}

const errors = (polls: readonly Poll[]): Array<string | number> => polls.map((p) => p.error ?? p.status);

describe('node agent against the Portal’s error answers', () => {
  it('slow_down: polls at the raised interval from then on, and still pairs once approved', async () => {
    const setup = await setUp({
      // Its first wait runs short (a clock that jumps, a hurried agent): the Portal's interval check catches it.
      hurry: 1,
      // Approve after two polls at the new pace, so the pace is seen before the flow ends.
      onPoll: (polls, code, portal) => {
        if (polls.at(-1)?.error === 'authorization_pending' && polls.filter((p) => p.error === 'authorization_pending').length === 2) portal.approve(code, { userName: 'Slow Poke', orgIdentity: 'org-slow' });
      },
    });
    const done = await start(setup);
    expect(done).toEqual({ state: 'paired', user_name: 'Slow Poke', org_identity: 'org-slow' });
    expect(errors(setup.polls)).toEqual(['slow_down', 'authorization_pending', 'authorization_pending', 200]);
    // RFC 8628 §3.5: the interval grows by 5 s "for this and all subsequent requests".
    const raised = (1 + SLOW_DOWN_STEP) * 1000;
    expect(setup.clock.sleeps).toEqual([1000, raised, raised, raised]);
    const gaps = setup.polls.slice(1).map((p, i) => p.at - (setup.polls[i]?.at ?? 0));
    expect(gaps.every((g) => g >= raised)).toBe(true);
    expect(parseTxtRecord(setup.agent.txt).state).toBe('paired');
  });

  it('rides out three 5xx answers in a row, then keeps polling and pairs', async () => {
    const setup = await setUp({
      onPoll: (polls, code, portal) => {
        if (polls.length === 1) portal.failNext(PORTAL_ENDPOINTS.token.path, 503, 3);
        if (polls.length === 5) portal.approve(code);
      },
    });
    const done = await start(setup);
    expect(errors(setup.polls)).toEqual(['authorization_pending', 503, 503, 503, 'authorization_pending', 200]);
    expect(done).toMatchObject({ state: 'paired' });
  });

  it('ends in failed/portal_error when the token endpoint keeps answering 5xx, and can start again', async () => {
    const setup = await setUp({
      onPoll: (polls, _code, portal) => {
        if (polls.length === 1) portal.failNext(PORTAL_ENDPOINTS.token.path, 502, 100);
      },
    });
    const done = await start(setup);
    expect(done).toMatchObject({ state: 'failed', reason: 'portal_error' });
    if (done.state === 'failed') expect(done.message).toContain('502');
    // Three ridden out, the fourth in a row gives up; no more requests after it.
    expect(errors(setup.polls)).toEqual(['authorization_pending', 502, 502, 502, 502]);
    expect(parseTxtRecord(setup.agent.txt).state).toBe('unpaired');
    // A new request starts over with a fresh device authorization (that endpoint is up).
    const again = new Promise<string>((resolve) => setup.agent.onChange((s) => s.state !== 'redeeming' && resolve(s.state)));
    const { call } = await openApi(setup);
    await call();
    expect(await withTimeout(again, 5_000)).toBe('awaiting_user');
  });

  it('ends in failed/expired_token when the Portal says the code expired before the node thinks so', async () => {
    // The Portal's clock runs ahead of the node's (a node without a real-time clock): only the Portal knows.
    let skew = 0;
    const setup = await setUp({
      portalSkewMs: () => skew,
      onPoll: (polls) => {
        if (polls.length === 2) skew = (EXPIRES_IN + 1) * 1000;
      },
    });
    const done = await start(setup);
    expect(done).toMatchObject({ state: 'failed', reason: 'expired_token' });
    expect(errors(setup.polls)).toEqual(['authorization_pending', 'authorization_pending', 'expired_token']);
    // The node's own deadline was still far away: the state came from the Portal's answer.
    expect(setup.clock.now() - (setup.polls[0]?.at ?? 0)).toBeLessThan(60_000);
  });
});
