import { MaculaError } from '../../../shared/errors';
import type { DeviceAuthorizationResponse } from '../../../shared/fleet/portal-contract';
import { DesktopPortalClient } from './desktop-portal-client';
import { type FlowClock, pollForTokens, realFlowClock } from './device-flow';
import type { PortalHttpOptions } from './portal-http';

/**
 * "Sign in to the Portal" from the Customise step: the device flow (RFC 8628) as the desktop's client, then one
 * enrollment token minted for the signed-in user. The access token lives only in this function's scope: it is sent
 * to the Portal once, as a bearer token, and dropped; what comes back is what a pasted token would have been.
 */

export interface DesktopSignInOptions extends PortalHttpOptions {
  readonly portalUrl: string;
  readonly signal: AbortSignal;
  /** The user code and links to show (RFC 8628 §3.3), once the Portal has issued them. */
  readonly onCodes: (codes: DeviceAuthorizationResponse) => void;
  /** After approval, before the enrollment token is asked for. */
  readonly onApproved?: () => void;
  /** Shown on the Portal beside the minted token. */
  readonly label?: string;
  readonly clock?: FlowClock;
}

export interface DesktopSignInResult {
  readonly enrollmentToken: string;
  readonly expiresAt: string;
  readonly userName: string;
  readonly orgIdentity: string;
}

/** The Portal's base URL: https, or http where the caller allows it (tests); a usage error otherwise. */
export function portalBase(portalUrl: string, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(portalUrl.trim());
  } catch {
    throw new MaculaError('ERR_USAGE', 'the Portal URL is not a valid URL', { field: 'portalUrl' });
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new MaculaError('ERR_HTTP_INSECURE', 'the Portal URL must be an https:// URL', { field: 'portalUrl' });
  }
  return url;
}

/** Resolves with the minted enrollment token, or throws PortalSignInError; ERR_ABORTED once `signal` aborts. */
export async function signInForEnrollmentToken(options: DesktopSignInOptions): Promise<DesktopSignInResult> {
  const { signal } = options;
  const clock = options.clock ?? realFlowClock;
  const http: PortalHttpOptions = {
    ...(options.allowHttp !== undefined ? { allowHttp: options.allowHttp } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
  const client = new DesktopPortalClient(portalBase(options.portalUrl, options.allowHttp ?? false), http, signal);
  const issuedAt = clock.now();
  const codes = await client.deviceAuthorization();
  if (signal.aborted) throw new MaculaError('ERR_ABORTED', 'Portal sign-in cancelled');
  options.onCodes(codes);
  const tokens = await pollForTokens(codes, () => client.token(codes.device_code), { clock, signal, issuedAt });
  if (tokens === undefined || signal.aborted) throw new MaculaError('ERR_ABORTED', 'Portal sign-in cancelled');
  options.onApproved?.();
  const issued = await client.issueEnrollmentToken(tokens.access_token, options.label ?? 'Macula Companion');
  if (signal.aborted) throw new MaculaError('ERR_ABORTED', 'Portal sign-in cancelled');
  return { enrollmentToken: issued.enrollment_token, expiresAt: issued.expires_at, userName: tokens.user_name, orgIdentity: issued.org_identity };
}
