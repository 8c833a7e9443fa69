import type { z } from 'zod';
import {
  DEVICE_CODE_GRANT_TYPE,
  ENROLLMENT_TOKEN_SCOPE,
  MACULA_DESKTOP_CLIENT_ID,
  PORTAL_ENDPOINTS,
  type DeviceAuthorizationResponse,
  type EnrollmentTokenResponse,
} from '../../../shared/fleet/portal-contract';
import type { TokenPoll } from './device-flow';
import { type PortalEndpointSpec, type PortalHttpOptions, postPortal } from './portal-http';
import { PortalSignInError } from './sign-in-error';

/**
 * The desktop's side of the Portal contract: the device flow as client `macula-companion` with the scope that mints
 * enrollment tokens, and `POST /api/console/enrollment-tokens` once per node. One request per call, each answer parsed
 * with the contract's schema for its status; anything else is `portal_error`.
 */
export class DesktopPortalClient {
  constructor(
    private readonly base: URL,
    private readonly http: PortalHttpOptions,
    private readonly signal: AbortSignal,
  ) {}

  private post(endpoint: PortalEndpointSpec, body: Readonly<Record<string, string>>, bearer?: string) {
    return postPortal(this.base, endpoint, body, { ...this.http, signal: this.signal, ...(bearer !== undefined ? { bearer } : {}) });
  }

  /** The answer's body if `status` is one of the endpoint's and the body fits that status's schema. */
  private parse<E extends PortalEndpointSpec, S extends keyof E['responses'] & number>(endpoint: E, status: S, json: unknown): z.output<E['responses'][S] & z.ZodType> {
    const schema = (endpoint.responses as Readonly<Record<number, z.ZodType>>)[status];
    const parsed = schema?.safeParse(json);
    if (!parsed?.success) throw new PortalSignInError('portal_error', `the Portal answered ${endpoint.path} with HTTP ${status} outside its contract`, { status });
    return parsed.data as z.output<E['responses'][S] & z.ZodType>;
  }

  /** RFC 8628 §3.1–3.2. */
  async deviceAuthorization(): Promise<DeviceAuthorizationResponse> {
    const endpoint = PORTAL_ENDPOINTS.deviceAuthorization;
    const { status, json } = await this.post(endpoint, { client_id: MACULA_DESKTOP_CLIENT_ID, scope: ENROLLMENT_TOKEN_SCOPE });
    if (status === 200) return this.parse(endpoint, 200, json);
    const error = status === 400 ? this.parse(endpoint, 400, json).error : `HTTP ${status}`;
    throw new PortalSignInError('portal_error', `the Portal refused to start a sign-in: ${error}`, { status });
  }

  /** RFC 8628 §3.4: one token request. */
  async token(deviceCode: string): Promise<TokenPoll> {
    const endpoint = PORTAL_ENDPOINTS.token;
    const { status, json } = await this.post(endpoint, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: MACULA_DESKTOP_CLIENT_ID });
    if (status === 200) return { ok: true, tokens: this.parse(endpoint, 200, json) };
    if (status === 400) return { ok: false, error: this.parse(endpoint, 400, json).error };
    throw new PortalSignInError('portal_error', `the Portal answered ${endpoint.path} with HTTP ${status}`, { status });
  }

  /** Mints the enrollment token of one node for the user the access token belongs to; only that node may redeem it. */
  async issueEnrollmentToken(accessToken: string, node: { nodeId: string; hostname: string | undefined; label: string }): Promise<EnrollmentTokenResponse> {
    const endpoint = PORTAL_ENDPOINTS.enrollmentTokens;
    const body = { node_id: node.nodeId, ...(node.hostname !== undefined ? { hostname: node.hostname } : {}), label: node.label };
    const { status, json } = await this.post(endpoint, body, accessToken);
    if (status === 201) {
      const issued = this.parse(endpoint, 201, json);
      // A token for another node would be refused when that node redeems it: better to stop before seeding it.
      if (issued.node_id !== node.nodeId) throw new PortalSignInError('portal_error', `the Portal minted a token for node ${issued.node_id}, not ${node.nodeId}`, { status });
      return issued;
    }
    if (status === 400 || status === 401 || status === 403) {
      const error = this.parse(endpoint, status, json).error;
      const reason = error === 'insufficient_scope' ? 'insufficient_scope' : 'portal_error';
      throw new PortalSignInError(reason, `the Portal would not issue an enrollment token: ${error}`, { status });
    }
    throw new PortalSignInError('portal_error', `the Portal answered ${endpoint.path} with HTTP ${status}`, { status });
  }
}
