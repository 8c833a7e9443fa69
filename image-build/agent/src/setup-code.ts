import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { ADOPT_LOCK_SECONDS, ADOPT_MAX_WRONG_CODES, SETUP_CODE_TTL_SECONDS } from '../../../shared/fleet/adopt-api';
import { SETUP_CODE_LENGTH, setupCodeFrom } from '../../../shared/fleet/setup-code';

/**
 * The setup code of a node waiting to be adopted (shared/fleet/setup-code.ts): random, shown only on the node's
 * console, valid for SETUP_CODE_TTL_SECONDS (then a fresh one is shown). ADOPT_MAX_WRONG_CODES wrong codes, from any
 * address, lock adoption for ADOPT_LOCK_SECONDS; after the lock a fresh code is shown, so guesses never add up
 * against one code. The count is global, not per address: a LAN attacker has as many addresses as it likes.
 */

export type SetupCodeState =
  | { readonly kind: 'open'; readonly code: string; readonly expiresAt: number; readonly wrong: number }
  | { readonly kind: 'locked'; readonly until: number }
  | { readonly kind: 'closed' };

export interface SetupCodeEvents {
  /** A new code to show, the lock, or the end of adoption (the node got its key). */
  change: [state: SetupCodeState];
}

export interface SetupCodeOptions {
  readonly now: () => number;
  readonly random?: (n: number) => Uint8Array;
  readonly ttlMs?: number;
  readonly lockMs?: number;
  readonly maxWrong?: number;
}

export class SetupCodeKeeper extends EventEmitter<SetupCodeEvents> {
  private state: SetupCodeState;
  private readonly random: (n: number) => Uint8Array;
  private readonly ttlMs: number;
  private readonly lockMs: number;
  private readonly maxWrong: number;

  constructor(private readonly options: SetupCodeOptions) {
    super();
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.ttlMs = options.ttlMs ?? SETUP_CODE_TTL_SECONDS * 1000;
    this.lockMs = options.lockMs ?? ADOPT_LOCK_SECONDS * 1000;
    this.maxWrong = options.maxWrong ?? ADOPT_MAX_WRONG_CODES;
    this.state = this.fresh();
  }

  private fresh(): SetupCodeState {
    return { kind: 'open', code: setupCodeFrom(this.random(SETUP_CODE_LENGTH)), expiresAt: this.options.now() + this.ttlMs, wrong: 0 };
  }

  private set(next: SetupCodeState): SetupCodeState {
    this.state = next;
    this.emit('change', next);
    return next;
  }

  /** The state now: an expired code or an ended lock is replaced by a fresh code first. */
  current(): SetupCodeState {
    const s = this.state;
    const now = this.options.now();
    if ((s.kind === 'open' && now >= s.expiresAt) || (s.kind === 'locked' && now >= s.until)) return this.set(this.fresh());
    return s;
  }

  /** Counts a wrong code; the last allowed one locks adoption. */
  wrongCode(): SetupCodeState {
    const s = this.current();
    if (s.kind !== 'open') return s;
    const wrong = s.wrong + 1;
    if (wrong >= this.maxWrong) return this.set({ kind: 'locked', until: this.options.now() + this.lockMs });
    this.state = { ...s, wrong };
    return this.state;
  }

  /** The node was adopted: no code any more. */
  close(): void {
    if (this.state.kind !== 'closed') this.set({ kind: 'closed' });
  }
}
