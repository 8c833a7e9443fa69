import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { dispatchIpc } from '../engine/ipc-dispatch';

/** Header that carries the session token on every API call of the browser shell. */
export const TOKEN_HEADER = 'x-macula-token';
const MAX_BODY = 1 << 20;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

// Same policy as the Electron window: nothing but our own origin.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface WebShell {
  readonly url: string;
  readonly token: string;
  readonly server: Server;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tokenMatches(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

/**
 * Serves the built renderer and the IPC contract on 127.0.0.1 only. The Host header must name this server
 * (so a DNS-rebound hostname is refused), API calls must come from our own Origin and carry the random session token
 * (so no other site can drive the engine).
 */
export async function startWebShell(rendererDir: string, port = 0): Promise<WebShell> {
  const token = randomBytes(24).toString('base64url');
  let origin = '';
  const allowedHosts = new Set<string>();
  const allowedOrigins = new Set<string>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => send(res, 500, e instanceof Error ? e.message : 'internal error'));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts.has(req.headers.host ?? '')) return send(res, 421, 'unexpected Host header');
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return send(res, 405, 'POST only');
      if (!allowedOrigins.has(req.headers.origin ?? '')) return send(res, 403, 'cross-origin request refused');
      if (!tokenMatches(req.headers[TOKEN_HEADER], token)) return send(res, 401, 'missing or wrong session token');
      let payload: unknown;
      try {
        payload = JSON.parse(await readBody(req));
      } catch {
        return send(res, 400, 'body must be JSON');
      }
      const result = await dispatchIpc(decodeURIComponent(url.pathname.slice('/api/'.length)), payload);
      return send(res, 200, JSON.stringify(result), 'application/json');
    }
    if (req.method !== 'GET') return send(res, 405, 'GET only');
    const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const file = normalize(join(rendererDir, rel));
    if (!file.startsWith(rendererDir + sep)) return send(res, 404, 'not found');
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
      });
      res.end(body);
    } catch {
      send(res, 404, 'not found');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${bound}`;
  for (const host of [`127.0.0.1:${bound}`, `localhost:${bound}`]) {
    allowedHosts.add(host);
    allowedOrigins.add(`http://${host}`);
  }
  return {
    url: `${origin}/#token=${token}`,
    token,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
