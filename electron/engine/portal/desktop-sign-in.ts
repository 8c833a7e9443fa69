import { MaculaError } from '../../../shared/errors';
import { type DeviceAuthorizationResponse, ENROLLMENT_TOKEN_SCOPE } from '../../../shared/fleet/portal-contract';
import { DesktopPortalClient } from './desktop-portal-client';
import { type FlowClock, pollForTokens, realFlowClock } from './device-flow';
import type { PortalHttpOptions } from './portal-http';
import { PortalSignInError } from './sign-in-error';

/**
 * "Sign in to the Portal" (the app's Customise step, `macula flash --portal-sign-in`): the device flow (RFC 8628) as
 * the desktop's client, giving a session that mints one enrollment token per node to be flashed. A token is
 * redeemable once, so a batch of N targets needs N of them, each minted for its node id. The access token lives only
 * inside the session: it is sent to the Portal as a bearer token and never returned, shown, logged or seeded.
 */

export interface DesktopSignInOptions extends PortalHttpOptions {
  readonly portalUrl: string;
  readonly signal: AbortSignal;
  /** The user code and links to show (RFC 8628 §3.3), once the Portal has issued them. */
  readonly onCodes: (codes: DeviceAuthorizationResponse) => void;
  readonly clock?: FlowClock;
}

/** A node to mint an enrollment token for: the seed's node id and host name. */
export interface TokenTarget {
  readonly nodeId: string;
  readonly hostname: string | undefined;
}

/** One minted token, for the node it names. */
export interface MintedToken {
  readonly nodeId: string;
  readonly enrollmentToken: string;
  readonly expiresAt: string;
}

/** A signed-in user, who can mint tokens until the access token expires. */
export interface PortalSession {
  /** The Portal signed in to (its base URL, normalised): the only Portal its tokens are good for. */
  readonly portalUrl: string;
  readonly userName: string;
  readonly orgIdentity: string;
  /** Seconds from sign-in until the access token stops working, if the Portal said (RFC 6749 §5.1). */
  readonly expiresIn: number | undefined;
  /** One enrollment token per node, in order, each labelled with the node's host name and id. */
  mintEnrollmentTokens(nodes: readonly TokenTarget[], signal: AbortSignal): Promise<MintedToken[]>;
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

/** What the Portal shows beside a minted token: which desktop, for which node. */
export function tokenLabel(node: TokenTarget): string {
  return `Macula Companion: ${node.hostname ?? '(no host name)'} (node ${node.nodeId})`;
}

/** Resolves once the user approved the sign-in, or throws PortalSignInError; ERR_ABORTED once `signal` aborts. */
export async function signInToPortal(options: DesktopSignInOptions): Promise<PortalSession> {
  const { signal } = options;
  const clock = options.clock ?? realFlowClock;
  const http: PortalHttpOptions = {
    ...(options.allowHttp !== undefined ? { allowHttp: options.allowHttp } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
  const base = portalBase(options.portalUrl, options.allowHttp ?? false);
  const client = new DesktopPortalClient(base, http, signal);
  const issuedAt = clock.now();
  const codes = await client.deviceAuthorization();
  if (signal.aborted) throw new MaculaError('ERR_ABORTED', 'Portal sign-in cancelled');
  options.onCodes(codes);
  const tokens = await pollForTokens(codes, () => client.token(codes.device_code), { clock, signal, issuedAt });
  if (tokens === undefined || signal.aborted) throw new MaculaError('ERR_ABORTED', 'Portal sign-in cancelled');
  // RFC 6749 §5.1: a scope in the answer is what was granted. Without the minting scope every flash would fail: say so now.
  if (tokens.scope !== undefined && !tokens.scope.split(' ').includes(ENROLLMENT_TOKEN_SCOPE)) {
    throw new PortalSignInError('insufficient_scope', `the Portal granted "${tokens.scope}", not ${ENROLLMENT_TOKEN_SCOPE}: this account may not issue enrollment tokens`);
  }
  const accessToken = tokens.access_token;
  return {
    portalUrl: base.href,
    userName: tokens.user_name,
    orgIdentity: tokens.org_identity,
    expiresIn: tokens.expires_in,
    async mintEnrollmentTokens(nodes, mintSignal) {
      // The sign-in's signal may be long gone (the flash starts later): each batch brings its own.
      const minter = new DesktopPortalClient(base, http, mintSignal);
      const minted: MintedToken[] = [];
      for (const node of nodes) {
        const issued = await minter.issueEnrollmentToken(accessToken, { nodeId: node.nodeId, hostname: node.hostname, label: tokenLabel(node) });
        minted.push({ nodeId: node.nodeId, enrollmentToken: issued.enrollment_token, expiresAt: issued.expires_at });
      }
      return minted;
    },
  };
}
