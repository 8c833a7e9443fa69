import type { z } from 'zod';
import { MaculaError } from '../../../shared/errors';
import {
  DEVICE_CODE_GRANT_TYPE,
  MACULA_NODE_CLIENT_ID,
  PORTAL_ENDPOINTS,
  type DeviceAuthorizationResponse,
  type PairResponse,
  type TokenResponse,
} from '../../../shared/fleet/portal-contract';

/**
 * The node's side of the Portal contract (shared/fleet/portal-contract.ts): one request per call, every answer parsed
 * with the contract's schema for its status. Nothing here loops or sleeps; the pairing machine does that.
 */

/** What went wrong talking to the Portal, as the pairing states name it. */
export class PortalRequestError extends Error {
  constructor(
    readonly reason: 'portal_unreachable' | 'portal_error',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export type PairOutcome = { readonly ok: true; readonly credentials: PairResponse } | { readonly ok: false; readonly error: string };
export type TokenOutcome = { readonly ok: true; readonly tokens: TokenResponse } | { readonly ok: false; readonly error: string };

type Endpoint = (typeof PORTAL_ENDPOINTS)[keyof typeof PORTAL_ENDPOINTS];

const REQUEST_TIMEOUT_MS = 15_000;

/** `portalUrl` must be https unless `allowInsecure` (tests against the loopback contract server only). */
export function checkPortalUrl(portalUrl: string, allowInsecure: boolean): URL {
  const url = new URL(portalUrl);
  if (url.protocol === 'https:' || (allowInsecure && url.protocol === 'http:')) return url;
  throw new MaculaError('ERR_HTTP_INSECURE', `the Portal must be reached over https, not ${url.protocol}`, { url: url.origin });
}

export class PortalClient {
  constructor(private readonly base: URL) {}

  /** The Portal's base URL, as stored in portal.json. */
  get url(): string {
    return this.base.href;
  }

  private async call(endpoint: Endpoint, body: Record<string, string>): Promise<{ status: number; json: unknown }> {
    const form = endpoint.requestType === 'application/x-www-form-urlencoded';
    let res: Response;
    try {
      res = await fetch(new URL(endpoint.path, this.base), {
        method: endpoint.method,
        headers: { 'content-type': endpoint.requestType, accept: 'application/json' },
        body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new PortalRequestError('portal_unreachable', `the Portal at ${this.base.origin} did not answer: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  }

  /** Parses `json` with the endpoint's schema for `status`; any other answer is a Portal error. */
  private parse<E extends Endpoint, S extends keyof E['responses'] & number>(endpoint: E, status: number, json: unknown): z.output<E['responses'][S] & z.ZodType> {
    const schema = (endpoint.responses as Readonly<Record<number, z.ZodType>>)[status];
    const parsed = schema?.safeParse(json);
    if (!parsed?.success) throw new PortalRequestError('portal_error', `the Portal answered ${endpoint.path} with HTTP ${status} outside its contract`, status);
    return parsed.data as z.output<E['responses'][S] & z.ZodType>;
  }

  /** Plan Phase 3: trades the seeded enrollment token for credentials (`POST /api/console/pair`). */
  async pair(request: { enrollment_token: string; node_id: string; hostname?: string }): Promise<PairOutcome> {
    const endpoint = PORTAL_ENDPOINTS.pair;
    const body = endpoint.request.parse(request);
    const { status, json } = await this.call(endpoint, { ...body } as Record<string, string>);
    if (status === 200) return { ok: true, credentials: this.parse<typeof endpoint, 200>(endpoint, status, json) };
    if (status === 400 || status === 403 || status === 409) return { ok: false, error: this.parse<typeof endpoint, 400>(endpoint, status, json).error };
    throw new PortalRequestError('portal_error', `the Portal answered ${endpoint.path} with HTTP ${status}`, status);
  }

  /**
   * RFC 8628 §3.1–3.2, registering which node asks (id, host name, certificate fingerprint): the Portal's approval
   * page shows them, and refuses an approval bound to any other node.
   */
  async deviceAuthorization(node: { nodeId: string; hostname: string | undefined; fingerprint: string }): Promise<DeviceAuthorizationResponse> {
    const endpoint = PORTAL_ENDPOINTS.deviceAuthorization;
    const request = endpoint.request.parse({
      client_id: MACULA_NODE_CLIENT_ID,
      node_id: node.nodeId,
      ...(node.hostname ? { hostname: node.hostname } : {}),
      node_fingerprint: node.fingerprint,
    });
    const { status, json } = await this.call(endpoint, request as Record<string, string>);
    if (status === 200) return this.parse<typeof endpoint, 200>(endpoint, status, json);
    const error = status === 400 ? this.parse<typeof endpoint, 400>(endpoint, status, json).error : `HTTP ${status}`;
    throw new PortalRequestError('portal_error', `the Portal refused the device authorization: ${error}`, status);
  }

  /** RFC 8628 §3.4–3.5: one poll of the token endpoint. */
  async token(deviceCode: string): Promise<TokenOutcome> {
    const endpoint = PORTAL_ENDPOINTS.token;
    const body = endpoint.request.parse({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: MACULA_NODE_CLIENT_ID });
    const { status, json } = await this.call(endpoint, body);
    if (status === 200) return { ok: true, tokens: this.parse<typeof endpoint, 200>(endpoint, status, json) };
    if (status === 400) return { ok: false, error: this.parse<typeof endpoint, 400>(endpoint, status, json).error };
    throw new PortalRequestError('portal_error', `the Portal answered ${endpoint.path} with HTTP ${status}`, status);
  }
}
