import { randomBytes } from 'node:crypto';
import { ADOPT_EXCHANGE_TTL_SECONDS, type AdoptionGrant, type SealedBox } from '../../../shared/fleet/adopt-api';
import { base64urlToBytes, bytesToBase64url } from '../../../shared/fleet/base64url';
import { ADOPT_AD_DESKTOP, ADOPT_AD_NODE, adoptChannelId, openGrant } from '../../../electron/engine/fleet/adopt-crypto';
import { type CpaceSession, type CpaceShare, confirmationTag, cpaceIsk, cpaceShare, tagsEqual } from '../../../electron/engine/fleet/cpace';
import type { SetupCodeKeeper } from './setup-code';

/**
 * The node's side of adoption (shared/fleet/adopt-api.ts): CPace's responder B. `start` answers the desktop's share
 * with the node's own and keeps the exchange open a minute; `finish` checks the desktop's confirmation tag — a wrong
 * one is a wrong setup code and counts towards the lock — and only then opens the sealed grant and answers with the
 * node's tag. Nothing sent before that depends on the key, so nothing can be tested offline.
 */

/** Open exchanges kept at once (the oldest goes first): each costs a few hundred bytes and no guess. */
const MAX_OPEN = 16;

interface Exchange {
  readonly session: CpaceSession;
  readonly own: CpaceShare;
  readonly desktopShare: Uint8Array;
  readonly expiresAt: number;
}

export type AdoptRefusal =
  | { readonly error: 'not_adoptable' }
  | { readonly error: 'adoption_locked'; readonly retryAfter: number }
  | { readonly error: 'unknown_challenge' | 'challenge_expired' | 'code_invalid' | 'invalid_request' };

export type StartOutcome = { readonly ok: true; readonly adoptionId: string; readonly nodeShare: string; readonly expiresIn: number } | ({ readonly ok: false } & AdoptRefusal);
export type FinishOutcome = { readonly ok: true; readonly grant: AdoptionGrant; readonly nodeConfirm: string } | ({ readonly ok: false } & AdoptRefusal);

export class AdoptionDesk {
  private readonly open = new Map<string, Exchange>();

  constructor(
    private readonly nodeId: string,
    /** Raw SHA-256 of the certificate the node serves: part of CI. */
    private readonly fingerprint: Uint8Array,
    private readonly codes: SetupCodeKeeper,
    private readonly now: () => number,
  ) {}

  /** Why no exchange can go on now (the node has its key, or adoption is locked), if so. */
  refusal(): AdoptRefusal | undefined {
    const state = this.codes.current();
    if (state.kind === 'closed') return { error: 'not_adoptable' };
    if (state.kind === 'locked') return { error: 'adoption_locked', retryAfter: Math.max(1, Math.ceil((state.until - this.now()) / 1000)) };
    return undefined;
  }

  start(sid: string, desktopShare: string): StartOutcome {
    const refused = this.refusal();
    if (refused) return { ok: false, ...refused };
    const state = this.codes.current();
    if (state.kind !== 'open') return { ok: false, error: 'not_adoptable' };
    const session = { prs: new TextEncoder().encode(state.code), ci: adoptChannelId(this.nodeId, this.fingerprint), sid: base64urlToBytes(sid) };
    const own = cpaceShare(session);
    const id = bytesToBase64url(new Uint8Array(randomBytes(32)));
    this.open.set(id, { session, own, desktopShare: base64urlToBytes(desktopShare), expiresAt: this.now() + ADOPT_EXCHANGE_TTL_SECONDS * 1000 });
    if (this.open.size > MAX_OPEN) {
      const oldest = this.open.keys().next();
      if (!oldest.done) this.open.delete(oldest.value);
    }
    return { ok: true, adoptionId: id, nodeShare: bytesToBase64url(own.share), expiresIn: ADOPT_EXCHANGE_TTL_SECONDS };
  }

  /** Spends the exchange whatever the outcome: one tag per exchange, so one guess per exchange. */
  finish(adoptionId: string, desktopConfirm: string, sealed: SealedBox): FinishOutcome {
    const exchange = this.open.get(adoptionId);
    if (!exchange) return { ok: false, error: 'unknown_challenge' };
    this.open.delete(adoptionId);
    const refused = this.refusal();
    if (refused) return { ok: false, ...refused };
    if (this.now() >= exchange.expiresAt) return { ok: false, error: 'challenge_expired' };
    const { session, own, desktopShare } = exchange;
    const isk = cpaceIsk(session, own, desktopShare, { ya: desktopShare, ada: ADOPT_AD_DESKTOP, yb: own.share, adb: ADOPT_AD_NODE });
    const expected = isk && confirmationTag(isk, session.sid, desktopShare, ADOPT_AD_DESKTOP);
    if (!isk || !expected || !tagsEqual(expected, base64urlToBytes(desktopConfirm))) {
      // A low-order share is no code at all, but counts the same: it is someone trying.
      const after = this.codes.wrongCode();
      if (after.kind === 'locked') this.open.clear();
      return { ok: false, error: 'code_invalid' };
    }
    const grant = openGrant(isk, session.sid, this.nodeId, sealed);
    if (!grant) return { ok: false, error: 'invalid_request' };
    this.open.clear();
    return { ok: true, grant, nodeConfirm: bytesToBase64url(confirmationTag(isk, session.sid, own.share, ADOPT_AD_NODE)) };
  }
}
