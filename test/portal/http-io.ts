import type { IncomingMessage, ServerResponse } from 'node:http';

/** Reading and writing bodies for the contract server: size-limited, content type checked, no framework. */

/** Bodies the Portal accepts are a few hundred bytes; anything past this is refused unread. */
const MAX_BODY_BYTES = 64 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The media type of a request, without parameters such as `charset`. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * A form body as an object of strings, or undefined if a parameter repeats: RFC 6749 §3.1 says parameters "MUST NOT
 * be included more than once", and picking one silently would hide a client bug.
 */
export function parseForm(body: string): Record<string, string> | undefined {
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(fields, name)) return undefined;
    fields[name] = value;
  }
  return fields;
}

/** The fields of a form request (RFC 8628 §3.1 asks for one), or why they cannot be read. */
export async function readForm(req: IncomingMessage): Promise<{ ok: true; fields: Record<string, string> } | { ok: false; why: string }> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') return { ok: false, why: 'body must be application/x-www-form-urlencoded (RFC 8628 §3.1)' };
  const fields = parseForm(await readBody(req));
  return fields ? { ok: true, fields } : { ok: false, why: 'a parameter is repeated (RFC 6749 §3.1)' };
}

/** JSON from a body, or undefined if it is not JSON. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** Token and code responses must not be cached (RFC 6749 §5.1). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function sendHtml(res: ServerResponse, status: number, html: string, csp: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'cache-control': 'no-store' });
  res.end(html);
}
