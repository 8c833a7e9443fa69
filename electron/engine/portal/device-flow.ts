import type { DeviceAuthorizationResponse, TokenResponse } from '../../../shared/fleet/portal-contract';
import { type FlowClock as SharedFlowClock, type TokenPoll, pollDeviceFlow } from '../../../shared/fleet/device-flow-poll';
import { PortalSignInError } from './sign-in-error';

/** The desktop's side of the device flow: shared/fleet/device-flow-poll.ts's loop, its ends as sign-in errors. */

export type { TokenPoll } from '../../../shared/fleet/device-flow-poll';

export type FlowClock = SharedFlowClock<AbortSignal>;

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

/**
 * Polls `poll` until the user approves the codes (resolves with the tokens) or the flow ends (throws
 * PortalSignInError with `access_denied`, `expired_token` or `portal_error`). Returns undefined once `signal` aborts.
 */
export async function pollForTokens(
  codes: DeviceAuthorizationResponse,
  poll: () => Promise<TokenPoll>,
  options: { readonly clock: FlowClock; readonly signal: AbortSignal; readonly issuedAt: number },
): Promise<TokenResponse | undefined> {
  const end = await pollDeviceFlow(codes, poll, options);
  switch (end.kind) {
    case 'approved':
      return end.tokens;
    case 'aborted':
      return undefined;
    case 'expired_token':
      throw new PortalSignInError('expired_token', 'the code expired before anyone approved it on the Portal');
    case 'access_denied':
      throw new PortalSignInError('access_denied', 'the sign-in was denied on the Portal');
    case 'portal_error':
      throw new PortalSignInError('portal_error', `the Portal answered the token request with ${end.error}`);
  }
}
