import { z } from 'zod';
import { fingerprintSchema } from './cert-fingerprint';
import { enrollmentTokenSchema, hostnameSchema, nodeIdSchema } from './seed-formats';

/**
 * The Portal as the node agent (and the contract server in test/portal/) sees it: the OAuth 2.0 Device Authorization
 * Grant (RFC 8628) for a node without a seeded token, and the plan's `POST /api/console/pair` (Phase 3) that trades a
 * seeded enrollment token for the same credentials. docs/portal-contract.openapi.yaml describes the same endpoints;
 * test/portal-contract.test.ts keeps the two in step.
 *
 * Both OAuth endpoints take `application/x-www-form-urlencoded` bodies (RFC 8628 §3.1, §3.4) and answer JSON. Unknown
 * parameters are ignored on both sides, as RFC 6749 §3.1 and §5.1 require, so these objects strip rather than refuse.
 */

/** The OAuth client the node agent is registered as (a public client: no secret, RFC 6749 §2.1). */
export const MACULA_NODE_CLIENT_ID = 'maculaos-node';
/**
 * The OAuth client the desktop companion is registered as (public, like the node's): it signs its user in with the
 * device flow to mint enrollment tokens, and asks for `ENROLLMENT_TOKEN_SCOPE` only.
 */
export const MACULA_DESKTOP_CLIENT_ID = 'macula-companion';
/** The scope (RFC 6749 §3.3) an access token needs for `POST /api/console/enrollment-tokens`. */
export const ENROLLMENT_TOKEN_SCOPE = 'enrollment_tokens:issue';
/** RFC 8628 §3.4. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.2: the polling interval when the Portal names none. */
export const DEFAULT_POLL_INTERVAL = 5;
/** RFC 8628 §3.5: what a `slow_down` adds to the interval, for that and every later request. */
export const SLOW_DOWN_STEP = 5;

const seconds = z.number().int().positive();
const opaque = z.string().regex(/^[\x21-\x7e]{1,512}$/, 'must be 1–512 printable ASCII characters');
// Any http(s) URL: the contract server runs on loopback http; the node requires https of the Portal it is seeded with.
const pageUrl = z.url({ protocol: /^https?$/ });

/**
 * RFC 8628 §3.1, plus who is asking when the client is a node (extension parameters, §3.1 allows them): the node
 * registers its id, host name and certificate fingerprint with the code, so the approval page shows which node the
 * user is letting in, and a bound approval (`NodeBinding`) is refused for any other node. The Portal requires
 * `node_id` and `node_fingerprint` from client `maculaos-node`; the desktop's own sign-in sends none.
 */
export const deviceAuthorizationRequestSchema = z.object({
  client_id: z.string().min(1),
  /** Space-delimited (RFC 6749 §3.3). */
  scope: z.string().optional(),
  node_id: nodeIdSchema.optional(),
  hostname: hostnameSchema.optional(),
  /** base64url SHA-256 of the node's TLS certificate, as TXT `fp` says and the desktop pins. */
  node_fingerprint: fingerprintSchema.optional(),
});

/**
 * What an approval is bound to: the node id and certificate fingerprint the approving desktop pinned after the node
 * proved its pairing key. Sent as `node_id` and `node_fingerprint` beside `user_code` to the verification page (the
 * desktop adds them to `verification_uri_complete`, `boundVerificationUri`); the Portal approves a code only for the
 * node that registered it with exactly these, and refuses otherwise, so a phished or leaked code cannot let another
 * node in through the owner's account, nor the owner's node into an account that did not pin it.
 */
export interface NodeBinding {
  readonly nodeId: string;
  readonly fingerprint: string;
}

/** The verification page parameters of a bound approval (beside RFC 8628 §3.3.1's `user_code`). */
export const NODE_BINDING_PARAMS = { nodeId: 'node_id', fingerprint: 'node_fingerprint' } as const;

/** `verification_uri_complete` with the binding added: the link the desktop shows for a node it pinned. */
export function boundVerificationUri(complete: string, binding: NodeBinding): string {
  // shared/ has no URL class (no DOM, no Node): the query is extended by hand, before any fragment (RFC 3986 §3.4).
  const hash = complete.indexOf('#');
  const [head, fragment] = hash < 0 ? [complete, ''] : [complete.slice(0, hash), complete.slice(hash)];
  const params = [
    `${NODE_BINDING_PARAMS.nodeId}=${encodeURIComponent(binding.nodeId)}`,
    `${NODE_BINDING_PARAMS.fingerprint}=${encodeURIComponent(binding.fingerprint)}`,
  ].join('&');
  return `${head}${head.includes('?') ? '&' : '?'}${params}${fragment}`;
}

/** RFC 8628 §3.2; `verification_uri_complete`, optional there, is always sent by our Portal (the desktop's QR). */
export const deviceAuthorizationResponseSchema = z.object({
  device_code: opaque,
  /** Short and typeable (§6.1), e.g. `WDJB-MJHT`. */
  user_code: z.string().regex(/^[\x21-\x7e]{1,32}$/, 'must be 1–32 printable ASCII characters'),
  verification_uri: pageUrl,
  verification_uri_complete: pageUrl,
  expires_in: seconds,
  interval: seconds.default(DEFAULT_POLL_INTERVAL),
});

/** RFC 8628 §3.4. */
export const tokenRequestSchema = z.object({
  grant_type: z.literal(DEVICE_CODE_GRANT_TYPE),
  device_code: z.string().min(1),
  client_id: z.string().min(1),
});

/** RFC 6749 §5.1, plus who approved and for which organisation, so both ways of pairing store the same portal.json. */
export const tokenResponseSchema = z.object({
  access_token: opaque,
  /** Case-insensitive (RFC 6749 §7.1). */
  token_type: z.string().refine((t) => t.toLowerCase() === 'bearer', 'must be Bearer'),
  expires_in: seconds.optional(),
  refresh_token: opaque,
  scope: z.string().optional(),
  user_name: z.string().min(1),
  org_identity: z.string().min(1),
});

/** The error response of RFC 6749 §5.2, with its `error` limited to `codes`. */
function oauthErrorSchema<const C extends readonly [string, ...string[]]>(codes: C) {
  return z.object({
    error: z.enum(codes),
    error_description: z.string().optional(),
    error_uri: z.url().optional(),
  });
}

/** RFC 8628 §3.5: keep polling (`authorization_pending`), poll 5 s slower (`slow_down`), or stop (the other two). */
export const DEVICE_FLOW_ERRORS = ['authorization_pending', 'slow_down', 'expired_token', 'access_denied'] as const;
/** RFC 6749 §5.2 errors the token endpoint may also answer. */
export const TOKEN_ERRORS = [...DEVICE_FLOW_ERRORS, 'invalid_request', 'invalid_client', 'invalid_grant', 'unsupported_grant_type'] as const;
export const DEVICE_AUTHORIZATION_ERRORS = ['invalid_request', 'invalid_client', 'invalid_scope'] as const;
/**
 * Refusals of `/api/console/pair`: malformed, a token the Portal never issued, one already redeemed, one minted for
 * another node id.
 */
export const PAIR_ERRORS = ['invalid_request', 'invalid_enrollment_token', 'enrollment_token_used', 'enrollment_token_other_node'] as const;

export const tokenErrorSchema = oauthErrorSchema(TOKEN_ERRORS);
export const deviceAuthorizationErrorSchema = oauthErrorSchema(DEVICE_AUTHORIZATION_ERRORS);
export const pairErrorSchema = oauthErrorSchema(PAIR_ERRORS);

/** RFC 6750 §3.1: why a bearer request was refused (no or a bad token, or one without `ENROLLMENT_TOKEN_SCOPE`). */
export const ENROLLMENT_TOKEN_ERRORS = ['invalid_request', 'invalid_token', 'insufficient_scope'] as const;
export const enrollmentTokenErrorSchema = oauthErrorSchema(ENROLLMENT_TOKEN_ERRORS);

/**
 * `POST /api/console/enrollment-tokens`, sent with `Authorization: Bearer ACCESS_TOKEN` (RFC 6750 §2.1): the signed-in
 * user asks for the enrollment token of one node, to seed into it. One call per node: a token is redeemable once, so
 * a batch of N sticks needs N tokens, and each is minted for its node id, which alone may redeem it.
 */
export const enrollmentTokenRequestSchema = z.object({
  /** The node the token is for (the seed's `maculaos.pairing.node_id`): `/api/console/pair` refuses any other. */
  node_id: nodeIdSchema,
  /** The node's seeded host name, shown on the Portal beside the token. */
  hostname: hostnameSchema.optional(),
  /** Shown on the Portal beside the token (which desktop minted it, for what); no secret. */
  label: z.string().max(200).optional(),
});

/** A fresh enrollment token for `node_id`, redeemable once, by that node, through `/api/console/pair` until `expires_at`. */
export const enrollmentTokenResponseSchema = z.object({
  enrollment_token: enrollmentTokenSchema,
  node_id: nodeIdSchema,
  expires_at: z.iso.datetime({ offset: true }),
  org_identity: z.string().min(1),
});

/** Plan Phase 3: the node trades its seeded enrollment token, once, for its Portal credentials. */
export const pairRequestSchema = z.object({
  enrollment_token: enrollmentTokenSchema,
  node_id: nodeIdSchema,
  hostname: hostnameSchema.optional(),
});

/** Plan Phase 3: "refresh token, user name, org identity", named as the first-boot binary already reads them. */
export const pairResponseSchema = z.object({
  refresh_token: opaque,
  user_name: z.string().min(1),
  org_identity: z.string().min(1),
});

const FORM = 'application/x-www-form-urlencoded';
const JSON_BODY = 'application/json';

/** Every Portal endpoint: method, path, request body type and schema, and the response schema for each status. */
export const PORTAL_ENDPOINTS = {
  deviceAuthorization: {
    method: 'POST',
    path: '/oauth/device_authorization',
    requestType: FORM,
    request: deviceAuthorizationRequestSchema,
    responses: { 200: deviceAuthorizationResponseSchema, 400: deviceAuthorizationErrorSchema },
  },
  token: {
    method: 'POST',
    path: '/oauth/token',
    requestType: FORM,
    request: tokenRequestSchema,
    responses: { 200: tokenResponseSchema, 400: tokenErrorSchema },
  },
  pair: {
    method: 'POST',
    path: '/api/console/pair',
    requestType: JSON_BODY,
    request: pairRequestSchema,
    responses: { 200: pairResponseSchema, 400: pairErrorSchema, 403: pairErrorSchema, 409: pairErrorSchema },
  },
  enrollmentTokens: {
    method: 'POST',
    path: '/api/console/enrollment-tokens',
    requestType: JSON_BODY,
    request: enrollmentTokenRequestSchema,
    responses: { 201: enrollmentTokenResponseSchema, 400: enrollmentTokenErrorSchema, 401: enrollmentTokenErrorSchema, 403: enrollmentTokenErrorSchema },
  },
} as const;
export type PortalEndpoint = keyof typeof PORTAL_ENDPOINTS;

/** The HTTP status of each pair refusal. */
export const PAIR_ERROR_STATUS = { invalid_request: 400, invalid_enrollment_token: 403, enrollment_token_used: 409, enrollment_token_other_node: 403 } as const satisfies Record<
  (typeof PAIR_ERRORS)[number],
  keyof (typeof PORTAL_ENDPOINTS)['pair']['responses']
>;

export type DeviceAuthorizationResponse = z.output<typeof deviceAuthorizationResponseSchema>;
export type TokenResponse = z.output<typeof tokenResponseSchema>;
export type TokenError = z.output<typeof tokenErrorSchema>;
export type PairResponse = z.output<typeof pairResponseSchema>;
export type PairError = z.output<typeof pairErrorSchema>;
export type EnrollmentTokenResponse = z.output<typeof enrollmentTokenResponseSchema>;

/** The HTTP status of each enrollment-token refusal (RFC 6750 §3.1). */
export const ENROLLMENT_TOKEN_ERROR_STATUS = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403 } as const satisfies Record<
  (typeof ENROLLMENT_TOKEN_ERRORS)[number],
  keyof (typeof PORTAL_ENDPOINTS)['enrollmentTokens']['responses']
>;
