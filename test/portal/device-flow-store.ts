import { randomBytes } from 'node:crypto';
import { DEFAULT_POLL_INTERVAL, SLOW_DOWN_STEP, type TokenResponse } from '../../shared/fleet/portal-contract';

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

interface Grant {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly scope: string | undefined;
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
  authorize(clientId: string, scope: string | undefined): { deviceCode: string; userCode: string; expiresIn: number; interval: number } {
    let userCode = newUserCode();
    while (this.findByUserCode(userCode)) userCode = newUserCode();
    const now = this.options.clock();
    const grant: Grant = {
      deviceCode: randomBytes(32).toString('base64url'),
      userCode,
      clientId,
      scope,
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

  /** The user authorizes the node; false if no pending grant has this code. */
  approve(userCode: string, identity: PortalIdentity): boolean {
    const grant = this.findByUserCode(userCode);
    if (!grant) return false;
    grant.status = 'approved';
    grant.identity = identity;
    return true;
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
        const tokens: TokenResponse = {
          access_token: randomBytes(32).toString('base64url'),
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: randomBytes(32).toString('base64url'),
          user_name: identity.userName,
          org_identity: identity.orgIdentity,
          ...(grant.scope === undefined ? {} : { scope: grant.scope }),
        };
        return { ok: true, tokens };
      }
    }
  }
}
