import { randomBytes } from 'node:crypto';
import { DEFAULT_POLL_INTERVAL, type NodeBinding, SLOW_DOWN_STEP, type TokenResponse } from '../../shared/fleet/portal-contract';

/**
 * The Portal's side of RFC 8628, in memory: each device code is pending until the user approves or denies it, or it
 * expires. Time comes from an injected clock, so tests move it instead of sleeping.
 */

/** Who approved a node, and for which organisation: what the node stores beside its refresh token. */
export interface PortalIdentity {
  readonly userName: string;
  readonly orgIdentity: string;
}

type GrantStatus = 'pending' | 'approved' | 'denied' | 'consumed';

/** The node that opened a grant, as it registered itself with the device authorization request. */
export interface RegisteredNode extends NodeBinding {
  readonly hostname: string | undefined;
}

/** What an approval did: approved, no pending grant has the code, or the binding names another node. */
export type ApprovalOutcome = 'approved' | 'unknown' | 'node_mismatch';

interface Grant {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly scope: string | undefined;
  /** The node that asked (client maculaos-node); none for the desktop's own sign-in. */
  readonly node: RegisteredNode | undefined;
  readonly expiresAt: number;
  /** Seconds; grows by SLOW_DOWN_STEP at each `slow_down` (RFC 8628 §3.5). */
  interval: number;
  /** The last poll, or the issue time before the first: the client waits `interval` before its first poll too. */
  lastPollAt: number;
  status: GrantStatus;
  identity?: PortalIdentity;
  /** A test asked for the next poll to be answered `slow_down` whatever its timing (a Portal under load). */
  slowDownNext?: boolean;
}

/** The outcome of one token request: tokens, or the RFC 8628 §3.5 / RFC 6749 §5.2 error to answer. */
export type PollOutcome =
  | { readonly ok: true; readonly tokens: TokenResponse }
  | { readonly ok: false; readonly error: 'authorization_pending' | 'slow_down' | 'expired_token' | 'access_denied' | 'invalid_grant' };

export interface DeviceFlowOptions {
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  /** Seconds a device code lives. */
  readonly expiresIn: number;
  /** Seconds between polls. */
  readonly interval?: number;
  /** The scope granted for a requested one (RFC 6749 §3.3 lets the server narrow it); the requested one if absent. */
  readonly grantScope?: (requested: string | undefined) => string | undefined;
}

/** RFC 8628 §6.1: 20 consonants (no vowels, so no words), upper case. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/** `WDJB-MJHT`: 8 characters, ~34.5 bits, drawn without modulo bias. */
function newUserCode(): string {
  let code = '';
  while (code.length < 8) {
    for (const byte of randomBytes(16)) {
      // 240 is the largest multiple of 20 below 256: higher bytes would favour the first letters.
      if (byte < 240 && code.length < 8) code += USER_CODE_ALPHABET[byte % 20];
    }
  }
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** RFC 8628 §3.3: what the user types is compared without case, spaces or dashes. */
export function normalizeUserCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '');
}

export class DeviceFlowStore {
  private readonly byDeviceCode = new Map<string, Grant>();

  constructor(private readonly options: DeviceFlowOptions) {}

  /** Opens a grant (RFC 8628 §3.2); the server adds the verification URIs. */
  authorize(clientId: string, scope: string | undefined, node?: RegisteredNode): { deviceCode: string; userCode: string; expiresIn: number; interval: number } {
    let userCode = newUserCode();
    while (this.findByUserCode(userCode)) userCode = newUserCode();
    const now = this.options.clock();
    const grant: Grant = {
      deviceCode: randomBytes(32).toString('base64url'),
      userCode,
      clientId,
      scope,
      node,
      expiresAt: now + this.options.expiresIn * 1000,
      interval: this.options.interval ?? DEFAULT_POLL_INTERVAL,
      lastPollAt: now,
      status: 'pending',
    };
    this.byDeviceCode.set(grant.deviceCode, grant);
    return { deviceCode: grant.deviceCode, userCode, expiresIn: this.options.expiresIn, interval: grant.interval };
  }

  /** A pending, unexpired grant by the code the user typed. */
  private findByUserCode(typed: string): Grant | undefined {
    const wanted = normalizeUserCode(typed);
    const now = this.options.clock();
    for (const grant of this.byDeviceCode.values()) {
      if (grant.status === 'pending' && now < grant.expiresAt && normalizeUserCode(grant.userCode) === wanted) return grant;
    }
    return undefined;
  }

  /** The pending, unexpired grants: what the Portal's operator (and a test) may list. */
  pending(): { user_code: string; client_id: string; node_id?: string; hostname?: string; node_fingerprint?: string }[] {
    const now = this.options.clock();
    return [...this.byDeviceCode.values()]
      .filter((g) => g.status === 'pending' && now < g.expiresAt)
      .map((g) => ({
        user_code: g.userCode,
        client_id: g.clientId,
        ...(g.node ? { node_id: g.node.nodeId, node_fingerprint: g.node.fingerprint, ...(g.node.hostname ? { hostname: g.node.hostname } : {}) } : {}),
      }));
  }

  /** The node that registered the pending grant showing `userCode`, for the approval page. */
  nodeOf(userCode: string): RegisteredNode | undefined {
    return this.findByUserCode(userCode)?.node;
  }

  /**
   * The user authorizes the grant showing `userCode`. With `binding` (the node the approver pinned), only a grant its
   * node registered with the same id and fingerprint is approved; any other is left pending and `node_mismatch`.
   */
  approve(userCode: string, identity: PortalIdentity, binding?: NodeBinding): ApprovalOutcome {
    const grant = this.findByUserCode(userCode);
    if (!grant) return 'unknown';
    if (binding && (grant.node?.nodeId !== binding.nodeId || grant.node.fingerprint !== binding.fingerprint)) return 'node_mismatch';
    grant.status = 'approved';
    grant.identity = identity;
    return 'approved';
  }

  /** The user refuses the node; false if no pending grant has this code. */
  deny(userCode: string): boolean {
    const grant = this.findByUserCode(userCode);
    if (!grant) return false;
    grant.status = 'denied';
    return true;
  }

  /** The next poll of the pending grant showing `userCode` answers `slow_down`; false if no pending grant has it. */
  slowDown(userCode: string): boolean {
    const grant = this.findByUserCode(userCode);
    if (!grant) return false;
    grant.slowDownNext = true;
    return true;
  }

  /** One token request (RFC 8628 §3.4–3.5). Tokens are handed out once; the device code is spent with them. */
  poll(deviceCode: string, clientId: string): PollOutcome {
    const grant = this.byDeviceCode.get(deviceCode);
    // RFC 6749 §5.2: a grant that is unknown, spent, or issued to another client is `invalid_grant`.
    if (!grant || grant.clientId !== clientId || grant.status === 'consumed') return { ok: false, error: 'invalid_grant' };
    const now = this.options.clock();
    if (now >= grant.expiresAt) return { ok: false, error: 'expired_token' };
    const early = now - grant.lastPollAt < grant.interval * 1000 || grant.slowDownNext === true;
    grant.lastPollAt = now;
    if (early) {
      grant.slowDownNext = false;
      grant.interval += SLOW_DOWN_STEP;
      return { ok: false, error: 'slow_down' };
    }
    switch (grant.status) {
      case 'pending':
        return { ok: false, error: 'authorization_pending' };
      case 'denied':
        return { ok: false, error: 'access_denied' };
      case 'approved': {
        grant.status = 'consumed';
        const identity = grant.identity ?? { userName: 'unknown', orgIdentity: 'unknown' };
        const scope = this.options.grantScope ? this.options.grantScope(grant.scope) : grant.scope;
        const tokens: TokenResponse = {
          access_token: randomBytes(32).toString('base64url'),
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: randomBytes(32).toString('base64url'),
          user_name: identity.userName,
          org_identity: identity.orgIdentity,
          ...(scope === undefined ? {} : { scope }),
        };
        return { ok: true, tokens };
      }
    }
  }
}
