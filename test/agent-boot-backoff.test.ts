import { afterEach, describe, expect, it } from 'vitest';
import type { PairingStatus } from '../shared/fleet/node-api';
import { type RunningAgent, startAgent } from '../image-build/agent/src/agent';
import { BOOT_PAIRING_BACKOFF, retryDelayMs } from '../image-build/agent/src/backoff';
import type { BootConditions } from '../image-build/agent/src/boot-conditions';
import type { PairingClock } from '../image-build/agent/src/pairing';
import { type NodeFixture, makeNodeFixture } from '../image-build/agent/testing/fixtures';
import { type PortalContractServer, startPortalContractServer } from './portal/contract-server';

/**
 * Issue 14 item 4: the node's own pairing at boot waits for the network and the clock, then tries until paired,
 * backing off between attempts (image-build/agent/src/backoff.ts). The schedule alone, then the agent following it
 * on a virtual clock against a real contract Portal on loopback that is down, then up.
 */

describe('the boot pairing back-off schedule', () => {
  it('doubles from 5 s to a 5 min ceiling and draws each delay from the upper half', () => {
    const ceilings = [5, 10, 20, 40, 80, 160, 300, 300, 300].map((s) => s * 1000);
    expect(ceilings.map((_, i) => retryDelayMs(i + 1, () => 0))).toEqual(ceilings.map((c) => c / 2));
    expect(ceilings.map((_, i) => retryDelayMs(i + 1, () => 0.999_999))).toEqual(ceilings);
    expect(retryDelayMs(3, () => 0.5)).toBe(15_000);
    // No overflow, no zero, however many failures.
    expect(retryDelayMs(10_000, () => 0)).toBe(BOOT_PAIRING_BACKOFF.maxMs / 2);
    expect(retryDelayMs(0, () => 0)).toBe(2_500);
  });
});

/** Time that moves only when the agent sleeps; `onSleep` runs before each sleep returns (the test's hook). */
class VirtualClock implements PairingClock {
  private t = Date.parse('2026-12-08T00:00:00Z');
  readonly sleeps: number[] = [];
  onSleep: (ms: number) => void = () => undefined;
  readonly now = (): number => this.t;
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    this.onSleep(ms);
    if (!signal.aborted) await new Promise((r) => setTimeout(r, 2));
  }
}

let agent: RunningAgent | undefined;
let portal: PortalContractServer | undefined;
let fixture: NodeFixture | undefined;
afterEach(async () => {
  await agent?.close();
  await portal?.close();
  await fixture?.cleanup();
  agent = portal = fixture = undefined;
});

async function freePort(): Promise<number> {
  const probe = await startPortalContractServer();
  const port = Number(new URL(probe.origin).port);
  await probe.close();
  return port;
}

describe('pairing at boot', () => {
  it('waits for the network, then the clock, retries on the schedule while the Portal is down, and pairs once it is up', async () => {
    const token = `enroll-${'c'.repeat(32)}`;
    fixture = await makeNodeFixture({ enrollmentToken: token });
    const port = await freePort();
    const clock = new VirtualClock();
    let network = false;
    let synchronised = false;
    const conditions: BootConditions = { networkReady: () => network, clockSynchronised: async () => synchronised, clockBoundMs: 60_000, pollMs: 1_000 };
    const seen: PairingStatus[] = [];
    let attempts = 0;
    let portalUp: Promise<void> | undefined;
    clock.onSleep = () => {
      // The world moves on virtual time: DHCP after 3 s, NTP 5 s later; the Portal comes up after the third refusal.
      if (clock.sleeps.length === 3) network = true;
      if (clock.sleeps.length === 8) synchronised = true;
    };
    agent = await startAgent({
      seed: fixture.seedPath,
      stateDir: fixture.stateDir,
      host: '127.0.0.1',
      port: 0,
      mdns: false,
      osVersion: '0.1.0',
      portalUrl: `http://127.0.0.1:${port}`,
      allowInsecurePortal: true,
      clock,
      pairOnStart: true,
      bootConditions: conditions,
    });
    // The first wait began inside startAgent, before anyone could listen.
    seen.push(agent.state);
    const paired = new Promise<void>((resolve) => {
      agent?.onChange((s) => {
        seen.push(s);
        if (s.state === 'redeeming') attempts++;
        if (s.state === 'waiting' && s.waiting_for === 'retry' && attempts === 3) {
          portalUp = startPortalContractServer({ port }).then((p) => {
            portal = p;
            p.addEnrollmentToken({ token });
          });
        }
        if (s.state === 'paired') resolve();
      });
    });
    await paired;
    await portalUp;

    const kinds = seen.map((s) => (s.state === 'waiting' ? `waiting:${s.waiting_for}` : s.state));
    // One state per change: no repeated waiting states while nothing changes.
    expect(kinds).toEqual(['waiting:network', 'waiting:clock', 'redeeming', 'waiting:retry', 'redeeming', 'waiting:retry', 'redeeming', 'waiting:retry', 'redeeming', 'paired']);
    // Polled once a second until the network and the clock were there (3 + 5 looks).
    expect(clock.sleeps.slice(0, 8)).toEqual(Array(8).fill(1_000));
    // Then one back-off sleep per refusal, each within its step of the schedule (5 s, 10 s, 20 s ceilings).
    const backoffs = clock.sleeps.slice(8);
    expect(backoffs).toHaveLength(3);
    for (const [i, ms] of backoffs.entries()) {
      const ceiling = BOOT_PAIRING_BACKOFF.firstMs * 2 ** i;
      expect(ms).toBeGreaterThanOrEqual(ceiling / 2);
      expect(ms).toBeLessThanOrEqual(ceiling);
    }
    const retry = seen.find((s) => s.state === 'waiting' && s.waiting_for === 'retry');
    expect(retry).toMatchObject({ message: expect.stringMatching(/did not answer.*trying again in \d+ s/) });
    expect(agent.txt).toContain('st=paired');
  });

  it('stops at a refusal no retry mends (the token was refused), and a desktop may start again', async () => {
    fixture = await makeNodeFixture({ enrollmentToken: `enroll-${'d'.repeat(32)}` });
    portal = await startPortalContractServer();
    const clock = new VirtualClock();
    const conditions: BootConditions = { networkReady: () => true, clockSynchronised: async () => true, clockBoundMs: 60_000, pollMs: 1_000 };
    agent = await startAgent({
      seed: fixture.seedPath, stateDir: fixture.stateDir, host: '127.0.0.1', port: 0, mdns: false, osVersion: '0.1.0',
      portalUrl: portal.origin, allowInsecurePortal: true, clock, pairOnStart: true, bootConditions: conditions,
    });
    const done = await new Promise<PairingStatus>((resolve) => {
      if (agent?.state.state === 'failed') resolve(agent.state);
      agent?.onChange((s) => s.state === 'failed' && resolve(s));
    });
    expect(done).toMatchObject({ state: 'failed', reason: 'enrollment_token_refused' });
    await new Promise((r) => setTimeout(r, 50));
    expect(agent.state.state).toBe('failed');
    expect(clock.sleeps).toEqual([]);
  });
});
