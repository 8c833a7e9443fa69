/**
 * How long a node pairing itself at boot waits before its next attempt after a failure it can outlive (Portal not
 * reachable yet, TLS refused while the clock is wrong, a Portal error): exponential from 5 s, doubling, capped at
 * 5 min, each delay drawn at random from its upper half ("equal jitter"), so a batch of nodes powered on together
 * after an outage does not knock on the Portal in step. Pure: the caller counts attempts and passes the randomness.
 */

export interface BackoffPolicy {
  readonly firstMs: number;
  readonly maxMs: number;
}

export const BOOT_PAIRING_BACKOFF: BackoffPolicy = { firstMs: 5_000, maxMs: 5 * 60_000 };

/**
 * The delay after failure number `failures` (1 for the first), between half and all of min(first · 2^(failures−1),
 * max). `random` returns a number in [0, 1), as Math.random does.
 */
export function retryDelayMs(failures: number, random: () => number = Math.random, policy: BackoffPolicy = BOOT_PAIRING_BACKOFF): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  const ceiling = Math.min(policy.firstMs * 2 ** exponent, policy.maxMs);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
