import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  DEVICE_CODE_GRANT_TYPE,
  MACULA_NODE_CLIENT_ID,
  boundVerificationUri,
  PORTAL_ENDPOINTS,
  deviceAuthorizationResponseSchema,
  pairErrorSchema,
  pairResponseSchema,
  tokenErrorSchema,
  tokenResponseSchema,
} from '../shared/fleet/portal-contract';
import { type PortalContractServer, startPortalContractServer } from './portal/contract-server';

const repo = resolve(import.meta.dirname, '..');

type JsonSchema = {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
};
type OpenApiOperation = {
  requestBody: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content: Record<string, { schema: JsonSchema }> }>;
};
type OpenApi = { paths: Record<string, Record<string, OpenApiOperation>>; components: { schemas: Record<string, JsonSchema> } };

/** What both descriptions must agree on, per field: type, format, allowed values, default, and whether required. */
function shapeOf(schema: JsonSchema, components: OpenApi['components']): Record<string, unknown> {
  const resolved = schema.$ref ? components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
  if (!resolved?.properties) throw new Error(`no object schema at ${schema.$ref ?? 'inline'}`);
  const required = new Set(resolved.required ?? []);
  return Object.fromEntries(
    Object.entries(resolved.properties).map(([name, p]) => [
      name,
      {
        type: p.type,
        format: p.format,
        values: p.enum ?? (p.const === undefined ? undefined : [p.const]),
        default: p.default,
        required: required.has(name),
      },
    ]),
  );
}

/** The zod schema as JSON Schema of what travels on the wire (its input: defaults make fields optional). */
function zodShape(schema: z.ZodType): Record<string, unknown> {
  return shapeOf(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, { schemas: {} });
}

describe('docs/portal-contract.openapi.yaml and the zod contract', () => {
  let doc: OpenApi;
  beforeEach(async () => {
    doc = parseYaml(await readFile(resolve(repo, 'docs/portal-contract.openapi.yaml'), 'utf8')) as OpenApi;
  });

  it('list the same endpoints, methods, request types and statuses', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(Object.values(PORTAL_ENDPOINTS).map((e) => `${e.method} ${e.path}`).sort());
    for (const endpoint of Object.values(PORTAL_ENDPOINTS)) {
      const op = doc.paths[endpoint.path]?.[endpoint.method.toLowerCase()];
      expect(Object.keys(op?.requestBody.content ?? {}), endpoint.path).toEqual([endpoint.requestType]);
      expect(Object.keys(op?.responses ?? {}).sort(), endpoint.path).toEqual(Object.keys(endpoint.responses).sort());
    }
  });

  it('name the same fields, required fields, values and defaults in every request and response', () => {
    for (const endpoint of Object.values(PORTAL_ENDPOINTS)) {
      const op = doc.paths[endpoint.path]?.[endpoint.method.toLowerCase()];
      const request = op?.requestBody.content[endpoint.requestType]?.schema ?? {};
      expect(shapeOf(request, doc.components), `${endpoint.path} request`).toEqual(zodShape(endpoint.request));
      for (const [status, schema] of Object.entries(endpoint.responses)) {
        const documented = op?.responses[status]?.content['application/json']?.schema ?? {};
        expect(shapeOf(documented, doc.components), `${endpoint.path} ${status}`).toEqual(zodShape(schema));
      }
    }
  });
});

describe('Portal contract server', () => {
  let now: number;
  let portal: PortalContractServer;
  const advance = (seconds: number) => (now += seconds * 1000);

  beforeEach(async () => {
    now = Date.UTC(2026, 0, 7, 12);
    portal = await startPortalContractServer({ clock: () => now, expiresIn: 600, interval: 5 });
  });
  afterEach(async () => {
    await portal.close();
  });

  async function post(path: string, body: string, type: string): Promise<{ status: number; json: unknown; headers: Headers }> {
    const res = await fetch(portal.url(path), { method: 'POST', headers: { 'content-type': type }, body });
    const text = await res.text();
    return { status: res.status, json: res.headers.get('content-type') === 'application/json' ? JSON.parse(text) : text, headers: res.headers };
  }
  const postForm = (path: string, fields: Record<string, string>) => post(path, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
  const postJson = (path: string, body: unknown) => post(path, JSON.stringify(body), 'application/json');

  /** The node a test's device authorizations come from, as it registers itself (RFC 8628 §3.1 extension parameters). */
  const NODE = { node_id: '3f2b8c1e-9d4a-4e7b-8c2d-5a6f7e8d9c0b', hostname: 'macula-01', node_fingerprint: 'Q'.repeat(43) };

  async function authorize() {
    const reply = await postForm(PORTAL_ENDPOINTS.deviceAuthorization.path, { client_id: MACULA_NODE_CLIENT_ID, scope: 'node', ...NODE });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    return deviceAuthorizationResponseSchema.parse(reply.json);
  }
  const poll = (deviceCode: string) =>
    postForm(PORTAL_ENDPOINTS.token.path, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: MACULA_NODE_CLIENT_ID });
  async function pollError(deviceCode: string): Promise<string> {
    const reply = await poll(deviceCode);
    expect(reply.status).toBe(400);
    return tokenErrorSchema.parse(reply.json).error;
  }

  it('listens on loopback and hands out RFC 8628 codes with a complete verification URI', async () => {
    expect(portal.server.address()).toMatchObject({ address: '127.0.0.1' });
    const codes = await authorize();
    expect(codes.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(codes.verification_uri).toBe(portal.url('/device'));
    expect(new URL(codes.verification_uri_complete).searchParams.get('user_code')).toBe(codes.user_code);
    expect([codes.expires_in, codes.interval]).toEqual([600, 5]);
  });

  it('answers authorization_pending at the interval and slow_down faster, adding 5 s each time (RFC 8628 §3.5)', async () => {
    const { device_code } = await authorize();
    expect(await pollError(device_code)).toBe('slow_down'); // at once: the interval counts from issue
    advance(10);
    expect(await pollError(device_code)).toBe('authorization_pending');
    advance(9);
    expect(await pollError(device_code)).toBe('slow_down'); // 9 s < the 10 s interval
    advance(15);
    expect(await pollError(device_code)).toBe('authorization_pending');
  });

  it('issues tokens once the user approves, then never again', async () => {
    const { device_code, user_code } = await authorize();
    portal.approve(user_code, { userName: 'Ada', orgIdentity: 'org-42' });
    advance(5);
    const reply = await poll(device_code);
    expect(reply.status).toBe(200);
    const tokens = tokenResponseSchema.parse(reply.json);
    expect([tokens.token_type, tokens.user_name, tokens.org_identity, tokens.scope]).toEqual(['Bearer', 'Ada', 'org-42', 'node']);
    advance(5);
    expect(await pollError(device_code)).toBe('invalid_grant');
  });

  it('is approved from its page, as a browser would click it, with the code typed loosely', async () => {
    const { device_code, user_code, verification_uri_complete } = await authorize();
    const page = await fetch(verification_uri_complete);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('action="/test/approve"');
    expect(html).toContain(`value="${user_code}"`);
    const typed = user_code.toLowerCase().replace('-', ' ');
    expect((await postForm('/test/approve', { user_code: typed })).status).toBe(200);
    advance(5);
    expect((await poll(device_code)).status).toBe(200);
  });

  it('refuses a node that does not say which node it is, and shows the registered node on the approval page', async () => {
    const { node_fingerprint: _fp, ...withoutFingerprint } = NODE;
    for (const fields of [{ client_id: MACULA_NODE_CLIENT_ID }, { client_id: MACULA_NODE_CLIENT_ID, ...withoutFingerprint }]) {
      const reply = await postForm(PORTAL_ENDPOINTS.deviceAuthorization.path, fields);
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({ error: 'invalid_request' });
    }
    const { user_code, verification_uri_complete } = await authorize();
    const html = await (await fetch(verification_uri_complete)).text();
    expect(html).toContain(`<dd id="node-id">${NODE.node_id}</dd>`);
    expect(html).toContain(`<dd id="node-hostname">${NODE.hostname}</dd>`);
    expect(html).toContain(`<dd id="node-fingerprint">${NODE.node_fingerprint}</dd>`);
    expect(html).not.toContain('id="mismatch"');
    expect(portal.pending()).toEqual([{ user_code, client_id: MACULA_NODE_CLIENT_ID, ...NODE }]);
  });

  it('approves through a bound link only the node it names; an approval bound to another node id or fingerprint is refused', async () => {
    const { device_code, user_code, verification_uri_complete } = await authorize();
    const mallory = { userName: 'Mallory', orgIdentity: 'org-mallory' };
    // Another account, having pinned its own node, tries the code: refused whichever half differs.
    for (const other of [
      { nodeId: 'aaaaaaaa-9d4a-4e7b-8c2d-5a6f7e8d9c0b', fingerprint: NODE.node_fingerprint },
      { nodeId: NODE.node_id, fingerprint: 'g'.repeat(43) },
    ]) {
      expect(() => portal.approve(user_code, mallory, other)).toThrow(/another node/);
      const bound = boundVerificationUri(verification_uri_complete, other);
      expect(await (await fetch(bound)).text()).toContain('id="mismatch"');
      const reply = await postForm('/test/approve', { user_code, node_id: other.nodeId, node_fingerprint: other.fingerprint });
      expect(reply.status).toBe(409);
    }
    // Half a binding is not taken as none.
    expect((await postForm('/test/approve', { user_code, node_id: NODE.node_id })).status).toBe(400);
    advance(5);
    expect(await pollError(device_code)).toBe('authorization_pending');
    // The desktop that pinned this node approves through its bound link: the page carries the binding along.
    const bound = boundVerificationUri(verification_uri_complete, { nodeId: NODE.node_id, fingerprint: NODE.node_fingerprint });
    const page = await (await fetch(bound)).text();
    expect(page).toContain(`name="node_id" value="${NODE.node_id}"`);
    expect(page).toContain(`name="node_fingerprint" value="${NODE.node_fingerprint}"`);
    expect((await postForm('/test/approve', { user_code, node_id: NODE.node_id, node_fingerprint: NODE.node_fingerprint })).status).toBe(200);
    advance(5);
    expect(tokenResponseSchema.parse((await poll(device_code)).json).org_identity).toBe('demo-org');
  });

  it('answers access_denied after the user denies, and the code cannot be approved afterwards', async () => {
    const { device_code, user_code } = await authorize();
    expect((await postForm('/test/deny', { user_code })).status).toBe(200);
    expect(() => portal.approve(user_code)).toThrow(/no pending/);
    advance(5);
    expect(await pollError(device_code)).toBe('access_denied');
  });

  it('answers expired_token once expires_in has passed, on the injected clock', async () => {
    const { device_code, user_code } = await authorize();
    advance(599);
    expect(await pollError(device_code)).toBe('authorization_pending');
    advance(1);
    expect(await pollError(device_code)).toBe('expired_token');
    expect(() => portal.approve(user_code)).toThrow(/no pending/);
    expect((await postForm('/test/approve', { user_code })).status).toBe(404);
  });

  it('refuses malformed token requests with the RFC 6749 §5.2 error for each', async () => {
    const { device_code } = await authorize();
    advance(5);
    const token = PORTAL_ENDPOINTS.token.path;
    const errorOf = async (reply: Promise<{ status: number; json: unknown }>) => tokenErrorSchema.parse((await reply).json).error;
    expect(await errorOf(postForm(token, { grant_type: 'password', device_code, client_id: MACULA_NODE_CLIENT_ID }))).toBe('unsupported_grant_type');
    expect(await errorOf(postForm(token, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code, client_id: 'someone-else' }))).toBe('invalid_client');
    expect(await errorOf(postForm(token, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'nope', client_id: MACULA_NODE_CLIENT_ID }))).toBe('invalid_grant');
    expect(await errorOf(postForm(token, { grant_type: DEVICE_CODE_GRANT_TYPE, client_id: MACULA_NODE_CLIENT_ID }))).toBe('invalid_request');
    expect(await errorOf(postJson(token, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code, client_id: MACULA_NODE_CLIENT_ID }))).toBe('invalid_request');
    const repeated = `${new URLSearchParams({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code, client_id: MACULA_NODE_CLIENT_ID })}&device_code=x`;
    expect(await errorOf(post(token, repeated, 'application/x-www-form-urlencoded'))).toBe('invalid_request');
  });

  it('redeems an enrollment token once, and refuses it the second time', async () => {
    const token = portal.addEnrollmentToken({ identity: { userName: 'Ada', orgIdentity: 'org-42' } });
    const request = { enrollment_token: token, node_id: '3f2b8c1e-9d4a-4e7b-8c2d-5a6f7e8d9c0b', hostname: 'macula-01' };
    const first = await postJson(PORTAL_ENDPOINTS.pair.path, request);
    expect(first.status).toBe(200);
    expect(pairResponseSchema.parse(first.json)).toMatchObject({ user_name: 'Ada', org_identity: 'org-42' });
    expect(portal.redeemedBy(token)).toBe(request.node_id);
    const second = await postJson(PORTAL_ENDPOINTS.pair.path, { ...request, node_id: 'another-node' });
    expect([second.status, pairErrorSchema.parse(second.json).error]).toEqual([409, 'enrollment_token_used']);
    expect(portal.redeemedBy(token)).toBe(request.node_id);
  });

  it('refuses unknown tokens and malformed pair requests', async () => {
    const unknown = await postJson(PORTAL_ENDPOINTS.pair.path, { enrollment_token: 'never-issued', node_id: 'node-1' });
    expect([unknown.status, pairErrorSchema.parse(unknown.json).error]).toEqual([403, 'invalid_enrollment_token']);
    const token = portal.addEnrollmentToken();
    const bad = await postJson(PORTAL_ENDPOINTS.pair.path, { enrollment_token: token, node_id: 'Not An Id' });
    expect(bad.status).toBe(400);
    expect(pairErrorSchema.parse(bad.json)).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/^node_id:/) });
    expect((await post(PORTAL_ENDPOINTS.pair.path, `enrollment_token=${token}&node_id=node-1`, 'application/x-www-form-urlencoded')).status).toBe(400);
    expect(portal.redeemedBy(token)).toBeUndefined();
  });

  it('fails on demand like a Portal outage, then recovers', async () => {
    portal.failNext(PORTAL_ENDPOINTS.deviceAuthorization.path, 503);
    const down = await postForm(PORTAL_ENDPOINTS.deviceAuthorization.path, { client_id: MACULA_NODE_CLIENT_ID, ...NODE });
    expect(down.status).toBe(503);
    await authorize();
    expect((await postJson('/nowhere', {})).status).toBe(404);
  });
});
