/**
 * A sliding-window limit per client address on the unauthenticated pairing endpoints: the pairing key is 256 bits, so
 * guessing is hopeless anyway, but each attempt costs an HMAC and a challenge slot, and a LAN neighbour hammering the
 * node should get 429 (RFC 6585 §4) rather than its CPU.
 */

export interface RateLimitOptions {
  /** Attempts allowed per window (default 5). */
  readonly max: number;
  /** Window length in milliseconds (default one minute). */
  readonly windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { max: 5, windowMs: 60_000 };
/**
 * adopt/start + adopt/finish per address: a try takes two requests, so twelve a minute lets one desktop spend all
 * five tries of a setup code (then the node locks, whatever the address) and try again after a typo.
 */
export const ADOPT_RATE_LIMIT: RateLimitOptions = { max: 12, windowMs: 60_000 };

/** Bounds memory when many addresses (spoofed or a busy LAN) each try once. */
const MAX_CLIENTS = 4096;

export class RateLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number,
  ) {}

  /** Counts an attempt by `client`; returns the seconds to wait if over the limit, else undefined. */
  take(client: string): number | undefined {
    const now = this.now();
    const recent = (this.attempts.get(client) ?? []).filter((t) => now - t < this.options.windowMs);
    if (recent.length >= this.options.max) {
      this.attempts.set(client, recent);
      const oldest = recent[0] ?? now;
      return Math.max(1, Math.ceil((oldest + this.options.windowMs - now) / 1000));
    }
    recent.push(now);
    this.attempts.delete(client); // re-insert so the Map's order is least recently seen first
    this.attempts.set(client, recent);
    if (this.attempts.size > MAX_CLIENTS) {
      const first = this.attempts.keys().next();
      if (!first.done) this.attempts.delete(first.value);
    }
    return undefined;
  }
}
