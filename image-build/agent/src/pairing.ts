import { EventEmitter } from 'node:events';
import { assertNever } from '../../../shared/errors';
import type { PairingStatus } from '../../../shared/fleet/node-api';
import { type FlowClock, pollDeviceFlow } from '../../../shared/fleet/device-flow-poll';
import type { DeviceAuthorizationResponse } from '../../../shared/fleet/portal-contract';
import { type PortalCredentials, saveCredentials } from './credentials';
import type { NodeIdentity } from './node-identity';
import { type PortalClient, PortalRequestError } from './portal-client';

/**
 * The node's pairing with the Portal, as the state union of shared/fleet/node-api.ts: redeem the seeded enrollment
 * token (plan Phase 3), or run the device flow (RFC 8628) and hold the user code until someone approves it, then store
 * the credentials and say `paired`. One exchange at a time; `start` while one runs just reports it.
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

type Internal =
  | { readonly state: 'idle' }
  | { readonly state: 'redeeming' }
  | { readonly state: 'awaiting_user'; readonly codes: DeviceAuthorizationResponse; readonly expiresAt: number }
  | { readonly state: 'paired'; readonly userName: string; readonly orgIdentity: string }
  | { readonly state: 'failed'; readonly reason: Extract<PairingStatus, { state: 'failed' }>['reason']; readonly message: string };

export interface PairingEvents {
  change: [status: PairingStatus];
}

export class Pairing extends EventEmitter<PairingEvents> {
  private current: Internal = { state: 'idle' };
  private readonly abort = new AbortController();

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
    if (state !== 'idle' && state !== 'failed') return this.status();
    const portal = this.portalOf();
    if (!portal) {
      this.set({ state: 'failed', reason: 'portal_unreachable', message: 'the seed names no Portal (maculaos.portal.url)' });
      return this.status();
    }
    const token = this.identityOf().enrollmentToken;
    this.set({ state: 'redeeming' });
    const run = mode === 'auto' && token !== undefined ? this.redeem(portal, token) : this.deviceFlow(portal);
    void run.catch((err: unknown) => this.fail(err));
    return this.status();
  }

  private fail(err: unknown): void {
    if (this.abort.signal.aborted) return;
    if (err instanceof PortalRequestError) this.set({ state: 'failed', reason: err.reason, message: err.message });
    else this.set({ state: 'failed', reason: 'portal_error', message: `pairing failed on the node: ${(err as Error).message}` });
  }

  private async redeem(portal: PortalClient, token: string): Promise<void> {
    const { hostname, nodeId } = this.identityOf();
    const outcome = await portal.pair({ enrollment_token: token, node_id: nodeId, ...(hostname ? { hostname } : {}) });
    if (!outcome.ok) {
      this.set({ state: 'failed', reason: 'enrollment_token_refused', message: `the Portal refused the enrollment token: ${outcome.error}` });
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
        this.set({ state: 'failed', reason: 'expired_token', message: 'the code expired before anyone approved it' });
        return;
      case 'access_denied':
        this.set({ state: 'failed', reason: 'access_denied', message: 'the user denied this node on the Portal' });
        return;
      case 'portal_error':
        this.set({ state: 'failed', reason: 'portal_error', message: `the Portal answered the token request with ${end.error}` });
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
