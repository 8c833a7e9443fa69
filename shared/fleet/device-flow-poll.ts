import { type DeviceAuthorizationResponse, SLOW_DOWN_STEP, type TokenResponse } from './portal-contract';

/**
 * The client's polling loop of the OAuth 2.0 Device Authorization Grant (RFC 8628 §3.4–3.5), written once for both
 * clients — the node agent pairing itself and the desktop signing in: wait `interval` seconds before every token
 * request (the first included), add 5 s on `slow_down` for that and every later request, keep going on
 * `authorization_pending`, stop on `access_denied` and `expired_token` — and on the code's own `expires_in` even if the
 * Portal never says so. How an end is reported (an agent state, a desktop error) is each caller's business.
 */

/** What the loop needs of an abort signal (shared/ has no DOM or Node types: callers pass their AbortSignal). */
export interface FlowSignal {
  readonly aborted: boolean;
}

/** Timers the loop uses; tests pass a clock that moves a contract server's clock instead of sleeping. */
export interface FlowClock<S extends FlowSignal> {
  now(): number;
  /** Resolves after `ms` or as soon as `signal` aborts. */
  sleep(ms: number, signal: S): Promise<void>;
}

/** One token request's outcome: tokens, or the error code of RFC 8628 §3.5 / RFC 6749 §5.2 the Portal answered. */
export type TokenPoll = { readonly ok: true; readonly tokens: TokenResponse } | { readonly ok: false; readonly error: string };

/** How the flow ended: approved, aborted by the caller, or refused/expired/broken on the Portal's side. */
export type FlowEnd =
  | { readonly kind: 'approved'; readonly tokens: TokenResponse }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'expired_token' }
  | { readonly kind: 'access_denied' }
  /** The Portal answered with an error outside RFC 8628's polling errors (`invalid_grant`, …). */
  | { readonly kind: 'portal_error'; readonly error: string };

/** Poll errors in a row (timeouts, 5xx) ridden out before giving up: a Portal restart should not end a flow. */
export const MAX_TRANSIENT_FAILURES = 3;

/**
 * Polls `poll` until the flow ends. `issuedAt` is when the codes were issued (their `expires_in` counts from there).
 * A request that throws is transient up to MAX_TRANSIENT_FAILURES in a row; the next one in a row is rethrown.
 */
export async function pollDeviceFlow<S extends FlowSignal>(
  codes: DeviceAuthorizationResponse,
  poll: () => Promise<TokenPoll>,
  options: { readonly clock: FlowClock<S>; readonly signal: S; readonly issuedAt: number },
): Promise<FlowEnd> {
  const { clock, signal } = options;
  const expiresAt = options.issuedAt + codes.expires_in * 1000;
  let interval = codes.interval;
  let transient = 0;
  for (;;) {
    await clock.sleep(interval * 1000, signal);
    if (signal.aborted) return { kind: 'aborted' };
    if (clock.now() >= expiresAt) return { kind: 'expired_token' };
    let outcome: TokenPoll;
    try {
      outcome = await poll();
      transient = 0;
    } catch (e) {
      if (signal.aborted) return { kind: 'aborted' };
      if (++transient > MAX_TRANSIENT_FAILURES) throw e;
      continue;
    }
    if (outcome.ok) return { kind: 'approved', tokens: outcome.tokens };
    switch (outcome.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        interval += SLOW_DOWN_STEP;
        continue;
      case 'expired_token':
      case 'access_denied':
        return { kind: outcome.error };
      default:
        return { kind: 'portal_error', error: outcome.error };
    }
  }
}
