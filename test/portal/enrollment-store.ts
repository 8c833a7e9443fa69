import { randomBytes } from 'node:crypto';
import type { PairResponse } from '../../shared/fleet/portal-contract';
import type { PortalIdentity } from './device-flow-store';

/**
 * Enrollment tokens the tests register or the desktop mints, each redeemable once through `POST /api/console/pair`: a
 * stick flashed twice with the same token pairs the first node to boot, and the second is refused. A minted token is
 * bound to the node id it was minted for.
 */

export type RedeemOutcome =
  | { readonly ok: true; readonly credentials: PairResponse }
  | { readonly ok: false; readonly error: 'invalid_enrollment_token' | 'enrollment_token_used' | 'enrollment_token_other_node' };

interface Enrollment {
  readonly identity: PortalIdentity;
  /** The node id a minted token is for; a registered (pasted) token may be unbound. */
  readonly nodeId: string | undefined;
  readonly label: string | undefined;
  redeemedBy?: string;
}

export class EnrollmentStore {
  private readonly tokens = new Map<string, Enrollment>();

  /** Registers `token` (a fresh one if omitted) for `identity`, bound to `nodeId` if given; returns it. */
  register(identity: PortalIdentity, token: string = `enr_${randomBytes(24).toString('base64url')}`, bound: { nodeId?: string; label?: string } = {}): string {
    if (this.tokens.has(token)) throw new Error('enrollment token already registered');
    this.tokens.set(token, { identity, nodeId: bound.nodeId, label: bound.label });
    return token;
  }

  /** The node id and label a token was minted for (tests check a batch got one per node). */
  mintedFor(token: string): { nodeId: string | undefined; label: string | undefined } | undefined {
    const e = this.tokens.get(token);
    return e && { nodeId: e.nodeId, label: e.label };
  }

  /** The node id that redeemed `token`, if any. */
  redeemedBy(token: string): string | undefined {
    return this.tokens.get(token)?.redeemedBy;
  }

  redeem(token: string, nodeId: string): RedeemOutcome {
    const enrollment = this.tokens.get(token);
    if (!enrollment) return { ok: false, error: 'invalid_enrollment_token' };
    if (enrollment.redeemedBy !== undefined) return { ok: false, error: 'enrollment_token_used' };
    // A token minted for one node is no use to another: a stick's seed copied elsewhere does not enrol that node.
    if (enrollment.nodeId !== undefined && enrollment.nodeId !== nodeId) return { ok: false, error: 'enrollment_token_other_node' };
    enrollment.redeemedBy = nodeId;
    const credentials: PairResponse = {
      refresh_token: randomBytes(32).toString('base64url'),
      user_name: enrollment.identity.userName,
      org_identity: enrollment.identity.orgIdentity,
    };
    return { ok: true, credentials };
  }
}
