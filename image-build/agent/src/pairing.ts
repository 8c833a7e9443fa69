import { EventEmitter } from 'node:events';
import { assertNever } from '../../../shared/errors';
import type { PAIRING_WAITS, PairingStatus } from '../../../shared/fleet/node-api';
import { type FlowClock, pollDeviceFlow } from '../../../shared/fleet/device-flow-poll';
import type { DeviceAuthorizationResponse } from '../../../shared/fleet/portal-contract';
import { retryDelayMs } from './backoff';
import type { BootConditions } from './boot-conditions';
import { type PortalCredentials, saveCredentials } from './credentials';
import type { NodeIdentity } from './node-identity';
import { type PortalClient, PortalRequestError } from './portal-client';

/**
 * The node's pairing with the Portal, as the state union of shared/fleet/node-api.ts: redeem the seeded enrollment
 * token (plan Phase 3), or run the device flow (RFC 8628) and hold the user code until someone approves it, then store
 * the credentials and say `paired`. One exchange at a time; `start` while one runs just reports it. At boot
 * (`autoPair`) it waits for the network and the clock first and tries again, with back-off, until paired.
 */

/** Timers the machine uses; tests may pass their own. */
export type PairingClock = FlowClock<AbortSignal>;

export function realClock(): PairingClock {
  return {
    now: Date.now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      }),
  };
}

type Failure = Extract<PairingStatus, { state: 'failed' }>['reason'];

/** Failures a later attempt can mend: the Portal or the network came back, the clock was set, a fresh device code. */
const RETRIED: ReadonlySet<Failure> = new Set(['portal_unreachable', 'portal_error', 'expired_token']);

type Internal =
  | { readonly state: 'idle' }
  | { readonly state: 'redeeming' }
  | { readonly state: 'awaiting_user'; readonly codes: DeviceAuthorizationResponse; readonly expiresAt: number }
  | { readonly state: 'paired'; readonly userName: string; readonly orgIdentity: string }
  | { readonly state: 'failed'; readonly reason: Failure; readonly message: string }
  | { readonly state: 'waiting'; readonly waitingFor: (typeof PAIRING_WAITS)[number]; readonly message: string; readonly retryAt?: number };

export interface PairingEvents {
  change: [status: PairingStatus];
}

export class Pairing extends EventEmitter<PairingEvents> {
  private current: Internal = { state: 'idle' };
  private readonly abort = new AbortController();
  /** Set while autoPair runs: a failure it can outlive becomes a `waiting` state and a later attempt. */
  private autoRetry = false;
  private failures = 0;
  private random: () => number = Math.random;
  /** `start` from a desktop while autoPair waits: try now, without waiting out the clock or the back-off. */
  private hurry = false;
  private wakeUp: (() => void) | undefined;
  /** Whether the clock was found synchronised, or waited for as long as the bound: not waited for again this boot. */
  private clockSettled = false;
  /** Since when the node has had an address: the clock's bound counts from there, across attempts. */
  private networkSince: number | undefined;

  constructor(
    /** Read at each use: an adopted node gets its key and Portal while the agent runs. */
    private readonly identityOf: () => NodeIdentity,
    private readonly portalOf: () => PortalClient | undefined,
    private readonly stateDir: string,
    /** The certificate fingerprint the node serves: registered with a device flow, so approvals bind to it. */
    private readonly fingerprint: string,
    private readonly clock: PairingClock,
    stored: PortalCredentials | undefined,
  ) {
    super();
    if (stored) this.current = { state: 'paired', userName: stored.user_name, orgIdentity: stored.org_identity };
  }

  /** The status as the API reports it; `awaiting_user.expires_in` counts from now. */
  status(): PairingStatus {
    const s = this.current;
    switch (s.state) {
      case 'idle':
      case 'redeeming':
        return { state: s.state };
      case 'awaiting_user': {
        const { user_code, verification_uri, verification_uri_complete, interval } = s.codes;
        const expires_in = Math.max(0, Math.floor((s.expiresAt - this.clock.now()) / 1000));
        return { state: 'awaiting_user', user_code, verification_uri, verification_uri_complete, interval, expires_in };
      }
      case 'paired':
        return { state: 'paired', user_name: s.userName, org_identity: s.orgIdentity };
      case 'failed':
        return { state: 'failed', reason: s.reason, message: s.message };
      case 'waiting': {
        const retry = s.retryAt === undefined ? {} : { retry_in: Math.max(0, Math.ceil((s.retryAt - this.clock.now()) / 1000)) };
        return { state: 'waiting', waiting_for: s.waitingFor, message: s.message, ...retry };
      }
      default:
        return assertNever(s);
    }
  }

  private set(next: Internal): void {
    this.current = next;
    this.emit('change', this.status());
  }

  /** Begins an exchange unless one is running or the node is paired; returns the status either way. */
  start(mode: 'auto' | 'device_flow'): PairingStatus {
    const state = this.current.state;
    if (state === 'waiting') {
      this.hurry = true;
      this.wakeUp?.();
      return this.status();
    }
    if (state !== 'idle' && state !== 'failed') return this.status();
    const portal = this.portalOf();
    if (!portal) {
      this.set({ state: 'failed', reason: 'portal_unreachable', message: 'the seed names no Portal (maculaos.portal.url)' });
      return this.status();
    }
    void this.exchange(portal, mode);
    return this.status();
  }

  /**
   * Pairing at boot, with nobody at a desktop (plan §8.1): wait for an address and a synchronised clock (bounded:
   * boot-conditions.ts), try, and after a failure a later attempt can mend wait (backoff.ts) and try again, until
   * paired or refused for good (token refused, access denied). Each wait is a `waiting` state: on the console, in
   * `pairing/status`, and `st=pairing` in TXT.
   */
  async autoPair(conditions: BootConditions, random: () => number = Math.random): Promise<void> {
    if (this.current.state === 'paired') return;
    if (!this.portalOf()) {
      this.start('auto');
      return;
    }
    this.autoRetry = true;
    this.random = random;
    try {
      while (!this.abort.signal.aborted) {
        await this.awaitConditions(conditions);
        if (this.abort.signal.aborted) return;
        // A desktop's hurry is spent on this attempt; only a new start() cuts the next back-off short.
        this.hurry = false;
        // Read at each attempt: an adopted node gets its Portal while the agent runs.
        const portal = this.portalOf();
        if (!portal) return void this.start('auto');
        await this.exchange(portal, 'auto');
        const s = this.current;
        if (s.state !== 'waiting' || s.retryAt === undefined) return;
        await this.pause(s.retryAt - this.clock.now());
      }
    } finally {
      this.autoRetry = false;
    }
  }

  /** Waits (state `waiting`) until the node has an address and a synchronised clock, or the clock's bound passed. */
  private async awaitConditions(c: BootConditions): Promise<void> {
    while (!this.abort.signal.aborted && !this.hurry) {
      if (!c.networkReady()) {
        this.networkSince = undefined;
        this.waitingFor('network', 'waiting for an address on a network');
      } else {
        this.networkSince ??= this.clock.now();
        if (this.clockSettled || (await c.clockSynchronised())) {
          this.clockSettled = true;
          return;
        }
        if (this.clock.now() - this.networkSince >= c.clockBoundMs) {
          this.clockSettled = true;
          return;
        }
        this.waitingFor('clock', `waiting for the clock to be synchronised (NTP), at most ${Math.round(c.clockBoundMs / 1000)} s`);
      }
      await this.pause(c.pollMs);
    }
  }

  private waitingFor(what: 'network' | 'clock', message: string): void {
    const s = this.current;
    if (s.state !== 'waiting' || s.waitingFor !== what) this.set({ state: 'waiting', waitingFor: what, message });
  }

  /** Sleeps `ms`, or less if the agent closes or a desktop asks to pair now. */
  private async pause(ms: number): Promise<void> {
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    this.wakeUp = stop;
    try {
      if (!this.hurry) await this.clock.sleep(Math.max(0, ms), controller.signal);
    } finally {
      this.abort.signal.removeEventListener('abort', stop);
      this.wakeUp = undefined;
    }
  }

  /** One exchange with the Portal: the seeded token, else the device flow. Resolves once it has ended, never rejects. */
  private exchange(portal: PortalClient, mode: 'auto' | 'device_flow'): Promise<void> {
    const token = this.identityOf().enrollmentToken;
    this.set({ state: 'redeeming' });
    const run = mode === 'auto' && token !== undefined ? this.redeem(portal, token) : this.deviceFlow(portal);
    return run.catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.abort.signal.aborted) return;
    if (err instanceof PortalRequestError) this.failWith(err.reason, err.message);
    else this.failWith('portal_error', `pairing failed on the node: ${(err as Error).message}`);
  }

  /** `failed`; or, under autoPair and for a failure a later attempt can mend, `waiting` for the back-off to end. */
  private failWith(reason: Failure, message: string): void {
    if (!this.autoRetry || !RETRIED.has(reason)) {
      this.set({ state: 'failed', reason, message });
      return;
    }
    // A code that expired unapproved is no fault of the network: the next one is asked for after the first delay.
    this.failures = reason === 'expired_token' ? 1 : this.failures + 1;
    const delay = retryDelayMs(this.failures, this.random);
    this.set({ state: 'waiting', waitingFor: 'retry', message: `${message}; trying again in ${Math.round(delay / 1000)} s`, retryAt: this.clock.now() + delay });
  }

  private async redeem(portal: PortalClient, token: string): Promise<void> {
    const { hostname, nodeId } = this.identityOf();
    const outcome = await portal.pair({ enrollment_token: token, node_id: nodeId, ...(hostname ? { hostname } : {}) });
    if (!outcome.ok) {
      this.failWith('enrollment_token_refused', `the Portal refused the enrollment token: ${outcome.error}`);
      return;
    }
    const { refresh_token, user_name, org_identity } = outcome.credentials;
    await this.finish(portal, { method: 'enrollment_token', refresh_token, user_name, org_identity });
  }

  private async deviceFlow(portal: PortalClient): Promise<void> {
    const { nodeId, hostname } = this.identityOf();
    const codes = await portal.deviceAuthorization({ nodeId, hostname, fingerprint: this.fingerprint });
    const issuedAt = this.clock.now();
    if (this.abort.signal.aborted) return;
    this.set({ state: 'awaiting_user', codes, expiresAt: issuedAt + codes.expires_in * 1000 });
    const end = await pollDeviceFlow(codes, () => portal.token(codes.device_code), { clock: this.clock, signal: this.abort.signal, issuedAt });
    switch (end.kind) {
      case 'aborted':
        return;
      case 'approved': {
        const t = end.tokens;
        await this.finish(portal, {
          method: 'device_flow',
          refresh_token: t.refresh_token,
          access_token: t.access_token,
          ...(t.expires_in === undefined ? {} : { access_token_expires_at: new Date(this.clock.now() + t.expires_in * 1000).toISOString() }),
          ...(t.scope === undefined ? {} : { scope: t.scope }),
          user_name: t.user_name,
          org_identity: t.org_identity,
        });
        return;
      }
      case 'expired_token':
        this.failWith('expired_token', 'the code expired before anyone approved it');
        return;
      case 'access_denied':
        this.failWith('access_denied', 'the user denied this node on the Portal');
        return;
      case 'portal_error':
        this.failWith('portal_error', `the Portal answered the token request with ${end.error}`);
        return;
      default:
        assertNever(end);
    }
  }

  private async finish(portal: PortalClient, got: Omit<PortalCredentials, 'version' | 'portal_url' | 'node_id' | 'paired_at'>): Promise<void> {
    if (this.abort.signal.aborted) return;
    await saveCredentials(this.stateDir, {
      version: 1,
      portal_url: portal.url,
      node_id: this.identityOf().nodeId,
      paired_at: new Date(this.clock.now()).toISOString(),
      ...got,
    });
    this.set({ state: 'paired', userName: got.user_name, orgIdentity: got.org_identity });
  }

  /** Stops a running device flow (agent shutdown). */
  close(): void {
    this.abort.abort();
  }
}
