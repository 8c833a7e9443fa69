import { randomBytes } from 'node:crypto';
import type { PairResponse } from '../../shared/fleet/portal-contract';
import type { PortalIdentity } from './device-flow-store';

/**
 * Enrollment tokens the tests register, each redeemable once through `POST /api/console/pair`: a stick flashed twice
 * with the same token pairs the first node to boot, and the second is refused.
 */

export type RedeemOutcome =
  | { readonly ok: true; readonly credentials: PairResponse }
  | { readonly ok: false; readonly error: 'invalid_enrollment_token' | 'enrollment_token_used' };

interface Enrollment {
  readonly identity: PortalIdentity;
  redeemedBy?: string;
}

export class EnrollmentStore {
  private readonly tokens = new Map<string, Enrollment>();

  /** Registers `token` (a fresh one if omitted) for `identity`; returns it. */
  register(identity: PortalIdentity, token: string = `enr_${randomBytes(24).toString('base64url')}`): string {
    if (this.tokens.has(token)) throw new Error('enrollment token already registered');
    this.tokens.set(token, { identity });
    return token;
  }

  /** The node id that redeemed `token`, if any. */
  redeemedBy(token: string): string | undefined {
    return this.tokens.get(token)?.redeemedBy;
  }

  redeem(token: string, nodeId: string): RedeemOutcome {
    const enrollment = this.tokens.get(token);
    if (!enrollment) return { ok: false, error: 'invalid_enrollment_token' };
    if (enrollment.redeemedBy !== undefined) return { ok: false, error: 'enrollment_token_used' };
    enrollment.redeemedBy = nodeId;
    const credentials: PairResponse = {
      refresh_token: randomBytes(32).toString('base64url'),
      user_name: enrollment.identity.userName,
      org_identity: enrollment.identity.orgIdentity,
    };
    return { ok: true, credentials };
  }
}
