import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { NODE_API, type NODE_API_ERRORS, nodeApiErrorSchema } from '../../../shared/fleet/node-api';

/** Bodies and answers of the node API: small JSON in, JSON out, each checked against its schema in node-api.ts. */

/** The largest request the API reads; every request is a few hundred bytes. */
const MAX_BODY_BYTES = 8 * 1024;

export type ApiErrorCode = (typeof NODE_API_ERRORS)[number];

/** A refusal the router turns into `{error, message}` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'invalid_request', `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The request body parsed with `schema`; refused with 400 naming the first bad field (never echoing a value). */
export async function readRequest<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.output<T>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'invalid_request', 'body must be application/json');
  const text = await readBody(req);
  let json: unknown;
  try {
    json = text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    throw new ApiError(400, 'invalid_request', 'body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ApiError(400, 'invalid_request', issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid request');
}

const NO_STORE = { 'cache-control': 'no-store', 'content-type': 'application/json' };

/** Sends `body` as `route`'s response, after its schema: what leaves the node is exactly what the contract allows. */
export function sendResponse<R extends keyof typeof NODE_API>(res: ServerResponse, route: R, body: z.input<(typeof NODE_API)[R]['response']>): void {
  const checked: unknown = NODE_API[route].response.parse(body);
  res.writeHead(200, NO_STORE).end(JSON.stringify(checked));
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const body = nodeApiErrorSchema.parse({ error: err.code, message: err.message });
  res.writeHead(err.status, { ...NO_STORE, ...err.headers }).end(JSON.stringify(body));
}
