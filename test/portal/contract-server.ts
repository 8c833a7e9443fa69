import { type IncomingMessage, type RequestListener, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import {
  DEVICE_CODE_GRANT_TYPE,
  ENROLLMENT_TOKEN_ERROR_STATUS,
  ENROLLMENT_TOKEN_SCOPE,
  MACULA_DESKTOP_CLIENT_ID,
  MACULA_NODE_CLIENT_ID,
  PAIR_ERROR_STATUS,
  NODE_BINDING_PARAMS,
  type NodeBinding,
  PORTAL_ENDPOINTS,
  type PortalEndpoint,
} from '../../shared/fleet/portal-contract';
import { AccessTokens } from './access-tokens';
import { APPROVAL_PAGE_PATH, PAGE_CSP, TEST_APPROVE_PATH, TEST_DENY_PATH, approvalPage, resultPage } from './approval-page';
import { DeviceFlowStore, type PortalIdentity } from './device-flow-store';
import { EnrollmentStore } from './enrollment-store';
import { BodyTooLargeError, mediaType, parseForm, parseJson, readBody, readForm, sendHtml, sendJson } from './http-io';

/**
 * The Portal contract (shared/fleet/portal-contract.ts) served from memory, for tests and `npm run portal:dev`:
 * RFC 8628 device authorization with pending → approved / denied / expired and `slow_down` (a node registers its id,
 * host name and fingerprint with its code; an approval bound to another node is refused), and `/api/console/pair`
 * redeeming each registered enrollment token once, and `/api/console/enrollment-tokens` minting one per node (bound
 * to its id) for the user an access token of the desktop's client belongs to. Every request is parsed with the contract's schema and every
 * response is checked against the schema of its status before it is sent, so the server cannot drift from the contract.
 */

export interface PortalContractOptions {
  /** Listen address: loopback unless a test passes an address inside a network namespace it made. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Milliseconds since the epoch; tests pass a clock they move. */
  readonly clock?: () => number;
  /** Seconds a device code lives (default 600). */
  readonly expiresIn?: number;
  /** Polling interval in seconds (default 5, RFC 8628 §3.2). */
  readonly interval?: number;
  /** The scope granted for a requested one (a Portal that narrows it, RFC 6749 §3.3); as requested by default. */
  readonly grantScope?: (requested: string | undefined) => string | undefined;
  /** Who approves, when `approve` is not told (default "Demo User" of "demo-org"). */
  readonly identity?: PortalIdentity;
  /** Called once per request with what was answered (no bodies, so no secrets). */
  readonly onRequest?: (entry: { method: string; path: string; status: number }) => void;
  /**
   * Serve https with this key and certificate (PEM) instead of http: a node's seed only takes an https Portal, so the
   * image end-to-end test gives it a certificate from a throwaway CA that the node is told to trust.
   */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export interface PortalContractServer {
  readonly origin: string;
  readonly server: Server;
  url(path: string): string;
  /**
   * The user authorizes the node showing `userCode`; throws if no pending request has it, or if `node` (what the
   * approver pinned) is not the node that registered it.
   */
  approve(userCode: string, identity?: PortalIdentity, node?: NodeBinding): void;
  /** The pending device authorizations, with the node each registered. */
  pending(): ReturnType<DeviceFlowStore['pending']>;
  /** The user refuses the node showing `userCode`; throws if no pending request has it. */
  deny(userCode: string): void;
  /** The next poll of the pending request showing `userCode` is answered `slow_down` (RFC 8628 §3.5). */
  slowDown(userCode: string): void;
  /** The enrollment tokens `/api/console/enrollment-tokens` minted, oldest first. */
  readonly issuedEnrollmentTokens: readonly string[];
  /** Every access token the token endpoint handed out (tests check none of them leaks past the engine). */
  issuedAccessTokens(): string[];
  /** Registers an enrollment token (a fresh one if not given) that `/api/console/pair` redeems once. */
  addEnrollmentToken(options?: { token?: string; identity?: PortalIdentity }): string;
  /** The node id that redeemed `token`, if any. */
  redeemedBy(token: string): string | undefined;
  /** The node id and label a minted token is bound to. */
  mintedFor(token: string): { nodeId: string | undefined; label: string | undefined } | undefined;
  /** Answers the next `times` requests of `path` with `status` (a Portal outage). */
  failNext(path: string, status: number, times?: number): void;
  close(): Promise<void>;
}

type Endpoint = (typeof PORTAL_ENDPOINTS)[PortalEndpoint];

/** How long a minted enrollment token stays redeemable (a day: long enough to flash, short enough to leak little). */
const ENROLLMENT_TOKEN_LIFETIME_MS = 24 * 3600_000;

/** Sends `body` after checking it against the endpoint's schema for `status`; a mismatch is a server bug (500). */
function respond<E extends Endpoint, S extends keyof E['responses'] & number>(
  res: ServerResponse,
  endpoint: E,
  status: S,
  body: z.input<E['responses'][S] & z.ZodType>,
): number {
  const schema = (endpoint.responses as Readonly<Record<number, z.ZodType>>)[status];
  if (!schema) throw new Error(`${endpoint.path} has no ${status} response in the contract`);
  schema.parse(body);
  sendJson(res, status, body);
  return status;
}

/** A request body parsed with its contract schema, or why not as `field: message` (zod never repeats the value). */
function parseWith<T extends z.ZodType>(schema: T, body: unknown): { ok: true; value: z.output<T> } | { ok: false; why: string } {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, why: issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid request' };
}

export async function startPortalContractServer(options: PortalContractOptions = {}): Promise<PortalContractServer> {
  const clock = options.clock ?? Date.now;
  const defaultIdentity = options.identity ?? { userName: 'Demo User', orgIdentity: 'demo-org' };
  const flows = new DeviceFlowStore({
    clock,
    expiresIn: options.expiresIn ?? 600,
    ...(options.interval ? { interval: options.interval } : {}),
    ...(options.grantScope ? { grantScope: options.grantScope } : {}),
  });
  const enrollments = new EnrollmentStore();
  const accessTokens = new AccessTokens(clock);
  const issued: string[] = [];
  /** The public clients this Portal knows: the node agent and the desktop companion. */
  const clients = new Set<string>([MACULA_NODE_CLIENT_ID, MACULA_DESKTOP_CLIENT_ID]);
  const failures = new Map<string, { status: number; times: number }>();
  let origin = '';

  async function deviceAuthorization(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const endpoint = PORTAL_ENDPOINTS.deviceAuthorization;
    const form = await readForm(req);
    const parsed = form.ok ? parseWith(endpoint.request, form.fields) : form;
    if (!parsed.ok) return respond(res, endpoint, 400, { error: 'invalid_request', error_description: parsed.why });
    const { client_id, scope, node_id, hostname, node_fingerprint } = parsed.value;
    if (!clients.has(client_id)) return respond(res, endpoint, 400, { error: 'invalid_client', error_description: 'unknown client_id' });
    // A node says which node it is, so its approval can show and be bound to it.
    if (client_id === MACULA_NODE_CLIENT_ID && (node_id === undefined || node_fingerprint === undefined)) {
      return respond(res, endpoint, 400, { error: 'invalid_request', error_description: 'a node must send node_id and node_fingerprint' });
    }
    const node = node_id !== undefined && node_fingerprint !== undefined ? { nodeId: node_id, fingerprint: node_fingerprint, hostname } : undefined;
    const grant = flows.authorize(client_id, scope, node);
    const page = new URL(APPROVAL_PAGE_PATH, origin);
    const complete = new URL(page);
    complete.searchParams.set('user_code', grant.userCode);
    return respond(res, endpoint, 200, {
      device_code: grant.deviceCode,
      user_code: grant.userCode,
      verification_uri: page.href,
      verification_uri_complete: complete.href,
      expires_in: grant.expiresIn,
      interval: grant.interval,
    });
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const endpoint = PORTAL_ENDPOINTS.token;
    const form = await readForm(req);
    // A grant type other than the device code's is its own error (RFC 6749 §5.2), not a malformed request.
    const grantType = form.ok ? form.fields.grant_type : undefined;
    if (grantType !== undefined && grantType !== DEVICE_CODE_GRANT_TYPE) return respond(res, endpoint, 400, { error: 'unsupported_grant_type' });
    const parsed = form.ok ? parseWith(endpoint.request, form.fields) : form;
    if (!parsed.ok) return respond(res, endpoint, 400, { error: 'invalid_request', error_description: parsed.why });
    if (!clients.has(parsed.value.client_id)) return respond(res, endpoint, 400, { error: 'invalid_client', error_description: 'unknown client_id' });
    const outcome = flows.poll(parsed.value.device_code, parsed.value.client_id);
    if (!outcome.ok) return respond(res, endpoint, 400, { error: outcome.error });
    accessTokens.record(outcome.tokens);
    return respond(res, endpoint, 200, outcome.tokens);
  }

  async function pair(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const endpoint = PORTAL_ENDPOINTS.pair;
    if (mediaType(req) !== 'application/json') return respond(res, endpoint, 400, { error: 'invalid_request', error_description: 'body must be application/json' });
    const parsed = parseWith(endpoint.request, parseJson(await readBody(req)));
    if (!parsed.ok) return respond(res, endpoint, 400, { error: 'invalid_request', error_description: parsed.why });
    const outcome = enrollments.redeem(parsed.value.enrollment_token, parsed.value.node_id);
    if (outcome.ok) return respond(res, endpoint, 200, outcome.credentials);
    return respond(res, endpoint, PAIR_ERROR_STATUS[outcome.error], { error: outcome.error });
  }

  /** Mints an enrollment token for the bearer's user (RFC 6750 errors), redeemable once by `/api/console/pair`. */
  async function enrollmentTokens(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const endpoint = PORTAL_ENDPOINTS.enrollmentTokens;
    const bearer = accessTokens.check(req.headers.authorization, ENROLLMENT_TOKEN_SCOPE);
    if (!bearer.ok) {
      // RFC 6750 §3: a refused bearer request names the scheme, and the scope it lacked.
      const scope = bearer.error === 'insufficient_scope' ? `, scope="${ENROLLMENT_TOKEN_SCOPE}"` : '';
      res.setHeader('www-authenticate', `Bearer error="${bearer.error}"${scope}`);
      return respond(res, endpoint, ENROLLMENT_TOKEN_ERROR_STATUS[bearer.error], { error: bearer.error });
    }
    if (mediaType(req) !== 'application/json') return respond(res, endpoint, 400, { error: 'invalid_request', error_description: 'body must be application/json' });
    const parsed = parseWith(endpoint.request, parseJson(await readBody(req)));
    if (!parsed.ok) return respond(res, endpoint, 400, { error: 'invalid_request', error_description: parsed.why });
    const { node_id, hostname, label } = parsed.value;
    const token = enrollments.register(bearer.identity, undefined, { nodeId: node_id, label: [label, hostname].filter(Boolean).join(' ') || undefined });
    issued.push(token);
    return respond(res, endpoint, 201, {
      enrollment_token: token,
      node_id,
      expires_at: new Date(clock() + ENROLLMENT_TOKEN_LIFETIME_MS).toISOString(),
      org_identity: bearer.identity.orgIdentity,
    });
  }

  /**
   * The buttons of the approval page; form or JSON `user_code`, and the node binding (`node_id`, `node_fingerprint`)
   * when the page was opened from a desktop's bound link. A binding for another node is refused with 409.
   */
  async function decide(req: IncomingMessage, res: ServerResponse, decision: 'approved' | 'denied'): Promise<number> {
    const body = await readBody(req);
    const fields = mediaType(req) === 'application/json' ? parseJson(body) : parseForm(body);
    const field = (name: string): string | undefined => {
      const value = typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>)[name] : undefined;
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const userCode = field('user_code') ?? '';
    const nodeId = field(NODE_BINDING_PARAMS.nodeId);
    const fingerprint = field(NODE_BINDING_PARAMS.fingerprint);
    // Half a binding is no binding: refuse it rather than approve unbound.
    if ((nodeId === undefined) !== (fingerprint === undefined)) {
      sendHtml(res, 400, resultPage('node_mismatch', userCode), PAGE_CSP);
      return 400;
    }
    const binding = nodeId !== undefined && fingerprint !== undefined ? { nodeId, fingerprint } : undefined;
    const outcome = decision === 'approved' ? flows.approve(userCode, defaultIdentity, binding) : flows.deny(userCode) ? 'denied' : 'unknown';
    const status = outcome === 'unknown' ? 404 : outcome === 'node_mismatch' ? 409 : 200;
    sendHtml(res, status, resultPage(outcome, userCode), PAGE_CSP);
    return status;
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<number> {
    const failure = failures.get(path);
    if (failure) {
      if (--failure.times <= 0) failures.delete(path);
      res.writeHead(failure.status, { 'content-type': 'text/plain' }).end('injected failure');
      return failure.status;
    }
    switch (`${req.method ?? ''} ${path}`) {
      case `POST ${PORTAL_ENDPOINTS.deviceAuthorization.path}`:
        return deviceAuthorization(req, res);
      case `POST ${PORTAL_ENDPOINTS.token.path}`:
        return token(req, res);
      case `POST ${PORTAL_ENDPOINTS.pair.path}`:
        return pair(req, res);
      case `POST ${PORTAL_ENDPOINTS.enrollmentTokens.path}`:
        return enrollmentTokens(req, res);
      case `GET ${APPROVAL_PAGE_PATH}`: {
        const query = new URL(req.url ?? '/', origin).searchParams;
        const userCode = query.get('user_code') ?? '';
        const nodeId = query.get(NODE_BINDING_PARAMS.nodeId);
        const fingerprint = query.get(NODE_BINDING_PARAMS.fingerprint);
        const pinned = nodeId !== null && fingerprint !== null ? { nodeId, fingerprint } : undefined;
        sendHtml(res, 200, approvalPage({ userCode, registered: flows.nodeOf(userCode), pinned }), PAGE_CSP);
        return 200;
      }
      case `POST ${TEST_APPROVE_PATH}`:
        return decide(req, res, 'approved');
      case `POST ${TEST_DENY_PATH}`:
        return decide(req, res, 'denied');
      default:
        sendJson(res, 404, { error: 'not_found' });
        return 404;
    }
  }

  const listener: RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://portal.invalid').pathname;
    route(req, res, path)
      .catch((e: unknown) => {
        const status = e instanceof BodyTooLargeError ? 413 : 500;
        if (status === 500) console.error('portal contract server:', e);
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 413 ? 'body too large' : 'contract server error');
        return status;
      })
      .then((status) => options.onRequest?.({ method: req.method ?? '', path, status }), () => undefined);
  };
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;

  return {
    origin,
    server,
    url: (path) => new URL(path, origin).href,
    approve(userCode, identity = defaultIdentity, node) {
      const outcome = flows.approve(userCode, identity, node);
      if (outcome === 'unknown') throw new Error(`no pending device authorization has the code ${userCode}`);
      if (outcome === 'node_mismatch') throw new Error(`the code ${userCode} belongs to another node than the one pinned; not approved`);
    },
    pending: () => flows.pending(),
    deny(userCode) {
      if (!flows.deny(userCode)) throw new Error(`no pending device authorization has the code ${userCode}`);
    },
    slowDown(userCode) {
      if (!flows.slowDown(userCode)) throw new Error(`no pending device authorization has the code ${userCode}`);
    },
    issuedEnrollmentTokens: issued,
    issuedAccessTokens: () => accessTokens.issued(),
    addEnrollmentToken: ({ token, identity = defaultIdentity } = {}) => enrollments.register(identity, token),
    redeemedBy: (token) => enrollments.redeemedBy(token),
    mintedFor: (token) => enrollments.mintedFor(token),
    failNext(path, status, times = 1) {
      failures.set(path, { status, times });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
