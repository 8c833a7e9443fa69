import { ENROLLMENT_TOKEN_ERRORS, type TokenResponse } from '../../shared/fleet/portal-contract';
import type { PortalIdentity } from './device-flow-store';

/**
 * The access tokens the contract server issued, so `POST /api/console/enrollment-tokens` can check a bearer token
 * (RFC 6750 §2.1): issued here, not expired, and carrying the scope the endpoint needs.
 */

type BearerError = (typeof ENROLLMENT_TOKEN_ERRORS)[number];
export type BearerCheck = { readonly ok: true; readonly identity: PortalIdentity } | { readonly ok: false; readonly error: BearerError };

interface Issued {
  readonly identity: PortalIdentity;
  readonly scopes: ReadonlySet<string>;
  readonly expiresAt: number;
}

export class AccessTokens {
  private readonly tokens = new Map<string, Issued>();

  constructor(private readonly clock: () => number) {}

  /** Every access token issued so far, for tests that check none of them leaked anywhere. */
  issued(): string[] {
    return [...this.tokens.keys()];
  }

  record(tokens: TokenResponse): void {
    this.tokens.set(tokens.access_token, {
      identity: { userName: tokens.user_name, orgIdentity: tokens.org_identity },
      scopes: new Set((tokens.scope ?? '').split(' ').filter(Boolean)),
      expiresAt: this.clock() + (tokens.expires_in ?? 3600) * 1000,
    });
  }

  /** Checks an Authorization header value for a live bearer token with `scope`. */
  check(authorization: string | undefined, scope: string): BearerCheck {
    // RFC 6750 §2.1: `Bearer` then the token; the scheme is case-insensitive (RFC 9110 §11.1).
    const match = /^bearer +([\x21-\x7e]+)$/i.exec(authorization ?? '');
    const issued = match?.[1] !== undefined ? this.tokens.get(match[1]) : undefined;
    if (!issued || this.clock() >= issued.expiresAt) return { ok: false, error: 'invalid_token' };
    if (!issued.scopes.has(scope)) return { ok: false, error: 'insufficient_scope' };
    return { ok: true, identity: issued.identity };
  }
}
