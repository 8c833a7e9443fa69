import { SLOW_DOWN_STEP, type DeviceAuthorizationResponse, type TokenResponse } from '../../../shared/fleet/portal-contract';
import { PortalSignInError } from './sign-in-error';

/**
 * The client's polling loop of the OAuth 2.0 Device Authorization Grant (RFC 8628 §3.4–3.5), written once for any
 * client: wait `interval` seconds before every token request (the first included), add 5 s on `slow_down` for that and
 * every later request, keep going on `authorization_pending`, stop on `access_denied` and `expired_token` — and on
 * the code's own `expires_in` even if the Portal never says so. Plain Node, no Electron: the node agent may use it.
 */

/** Timers the loop uses; tests pass a clock that moves the contract server's clock instead of sleeping. */
export interface FlowClock {
  now(): number;
  /** Resolves after `ms` or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realFlowClock: FlowClock = {
  now: Date.now,
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

/** One token request's outcome: tokens, or the error code of RFC 8628 §3.5 / RFC 6749 §5.2 the Portal answered. */
export type TokenPoll = { readonly ok: true; readonly tokens: TokenResponse } | { readonly ok: false; readonly error: string };

/** Poll errors in a row (timeouts, 5xx) ridden out before giving up: a Portal restart should not end a sign-in. */
const MAX_TRANSIENT_FAILURES = 3;

/**
 * Polls `poll` until the user approves the codes (resolves with the tokens) or the flow ends (throws
 * PortalSignInError with `access_denied`, `expired_token` or `portal_error`). Returns undefined once `signal` aborts.
 */
export async function pollForTokens(
  codes: DeviceAuthorizationResponse,
  poll: () => Promise<TokenPoll>,
  options: { readonly clock: FlowClock; readonly signal: AbortSignal; readonly issuedAt: number },
): Promise<TokenResponse | undefined> {
  const { clock, signal } = options;
  const expiresAt = options.issuedAt + codes.expires_in * 1000;
  const expired = (): PortalSignInError => new PortalSignInError('expired_token', 'the code expired before anyone approved it on the Portal');
  let interval = codes.interval;
  let transient = 0;
  for (;;) {
    await clock.sleep(interval * 1000, signal);
    if (signal.aborted) return undefined;
    if (clock.now() >= expiresAt) throw expired();
    let outcome: TokenPoll;
    try {
      outcome = await poll();
      transient = 0;
    } catch (e) {
      if (signal.aborted) return undefined;
      if (++transient > MAX_TRANSIENT_FAILURES) throw e;
      continue;
    }
    if (outcome.ok) return outcome.tokens;
    switch (outcome.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        interval += SLOW_DOWN_STEP;
        continue;
      case 'expired_token':
        throw expired();
      case 'access_denied':
        throw new PortalSignInError('access_denied', 'the sign-in was denied on the Portal');
      default:
        throw new PortalSignInError('portal_error', `the Portal answered the token request with ${outcome.error}`);
    }
  }
}
