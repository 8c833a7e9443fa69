import { type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { MaculaError } from '../../../shared/errors';
import type { PORTAL_ENDPOINTS } from '../../../shared/fleet/portal-contract';
import { assertFetchableUrl } from '../download/url-policy';
import { PortalSignInError } from './sign-in-error';

/**
 * One POST to a Portal endpoint of shared/fleet/portal-contract.ts, body encoded as the endpoint says (form for the
 * OAuth endpoints, JSON for the console API), answer read as JSON. Redirects are not followed: a bearer token or a
 * device code must not be carried to wherever a 3xx points, so any 3xx is simply a status outside the contract.
 */

export type PortalEndpointSpec = (typeof PORTAL_ENDPOINTS)[keyof typeof PORTAL_ENDPOINTS];

export interface PortalHttpOptions {
  /** Plain http:// Portals (the loopback contract server in tests); https otherwise. */
  readonly allowHttp?: boolean;
  /** An extra trusted CA (PEM) for a self-hosted Portal, added to the bundled roots. */
  readonly ca?: string | Buffer;
  /** Whole-request timeout; default 15 s. */
  readonly timeoutMs?: number;
}

export interface PortalReply {
  readonly status: number;
  /** The body parsed as JSON, or undefined when it was not JSON. */
  readonly json: unknown;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** Every Portal answer of the contract is a few hundred bytes; more is not a Portal. */
const MAX_REPLY = 64 * 1024;

function encode(endpoint: PortalEndpointSpec, body: Readonly<Record<string, string>>): string {
  return endpoint.requestType === 'application/x-www-form-urlencoded' ? new URLSearchParams(body).toString() : JSON.stringify(body);
}

async function readReply(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REPLY) throw new Error(`answer over ${MAX_REPLY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs `body` to `endpoint` of the Portal at `base`; `bearer` goes in the Authorization header (RFC 6750 §2.1). */
export async function postPortal(
  base: URL,
  endpoint: PortalEndpointSpec,
  body: Readonly<Record<string, string>>,
  options: PortalHttpOptions & { readonly signal: AbortSignal; readonly bearer?: string },
): Promise<PortalReply> {
  const url = new URL(endpoint.path, base);
  assertFetchableUrl(url, options.allowHttp ?? false);
  const payload = encode(endpoint, body);
  const headers: Record<string, string> = {
    'content-type': endpoint.requestType,
    accept: 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    'user-agent': 'macula-companion',
    ...(options.bearer !== undefined ? { authorization: `Bearer ${options.bearer}` } : {}),
  };
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)]);
  const requestOptions: RequestOptions = { method: endpoint.method, headers, agent: false, signal };
  const send = (): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req =
        url.protocol === 'https:'
          ? httpsRequest(url, options.ca === undefined ? requestOptions : { ...requestOptions, ca: [...rootCertificates, options.ca] })
          : httpRequest(url, requestOptions);
      req.on('response', resolve);
      req.on('error', reject);
      req.end(payload);
    });
  try {
    const res = await send();
    const text = await readReply(res);
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode ?? 0, json };
  } catch (e) {
    if (options.signal.aborted) throw new MaculaError('ERR_ABORTED', 'Portal sign-in cancelled');
    // The message names the Portal and the cause (refused, timed out, certificate); never a header or a body.
    const why = signal.aborted ? 'no answer in time' : e instanceof Error ? e.message : String(e);
    throw new PortalSignInError('portal_unreachable', `the Portal at ${url.origin} did not answer (${why})`, { url: url.origin });
  }
}
