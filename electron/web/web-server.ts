import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { EVENTS_PATH } from '../../shared/ipc-contract';
import { type AppEngine, createAppEngine } from '../engine/app/app-engine';
import { dispatchIpc } from '../engine/ipc-dispatch';
import { createLogger } from '../engine/log/logger';
import { openEventStream } from './sse-stream';
import { appWriterLaunch } from './writer-launch';

/** Header that carries the session token on every API call of the browser shell (the event stream included). */
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
const SECURITY_HEADERS = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
// Request lines at debug level (MACULA_LOG=debug); the logger redacts, and headers (the session token) are never logged.
const log = createLogger({ namespace: 'web' });

export interface WebShell {
  readonly url: string;
  readonly token: string;
  readonly server: Server;
  close(): Promise<void>;
}

export interface WebShellOptions {
  /** 0 (default): any free port. */
  readonly port?: number;
  /** The engine behind the API; default: the real one, writing in-process as root, else through the elevated writer. */
  readonly engine?: AppEngine;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, 'cache-control': 'no-store' });
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
 * (so a DNS-rebound hostname is refused); every `/api/` request — calls and the event stream alike — must be a POST
 * (so browsers always send Origin), come from our own Origin and carry the random session token in a header (so no
 * other site can drive the engine or listen to it).
 */
export async function startWebShell(rendererDir: string, portOrOptions: number | WebShellOptions = {}): Promise<WebShell> {
  // A bare port is how `npm start` (electron/cli/start.ts) calls it.
  const options: WebShellOptions = typeof portOrOptions === 'number' ? { port: portOrOptions } : portOrOptions;
  const token = randomBytes(24).toString('base64url');
  const engine = options.engine ?? createAppEngine({ launch: appWriterLaunch });
  let origin = '';
  const allowedHosts = new Set<string>();
  const allowedOrigins = new Set<string>();
  const streams = new Set<() => void>();

  const server = createServer((req, res) => {
    const started = Date.now();
    res.on('finish', () => log.debug(`${req.method ?? '?'} ${req.url ?? ''} ${res.statusCode} ${Date.now() - started}ms`));
    void handle(req, res).catch((e: unknown) => {
      log.error('request failed', { url: req.url, error: e });
      send(res, 500, e instanceof Error ? e.message : 'internal error');
    });
  });

  /** The one gate of every API request; answers and returns false when it is refused. */
  function admitted(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') send(res, 405, 'POST only');
    else if (!allowedOrigins.has(req.headers.origin ?? '')) send(res, 403, 'cross-origin request refused');
    else if (!tokenMatches(req.headers[TOKEN_HEADER], token)) send(res, 401, 'missing or wrong session token');
    else return true;
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts.has(req.headers.host ?? '')) return send(res, 421, 'unexpected Host header');
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/api/')) {
      if (!admitted(req, res)) return;
      if (url.pathname === EVENTS_PATH) {
        const end = openEventStream(res, engine.subscribe, SECURITY_HEADERS);
        streams.add(end);
        res.on('close', () => streams.delete(end));
        return;
      }
      let payload: unknown;
      try {
        payload = JSON.parse(await readBody(req));
      } catch {
        return send(res, 400, 'body must be JSON');
      }
      const result = await dispatchIpc(decodeURIComponent(url.pathname.slice('/api/'.length)), payload, engine.handlers);
      return send(res, 200, JSON.stringify(result), 'application/json');
    }
    if (req.method !== 'GET') return send(res, 405, 'GET only');
    const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const file = normalize(join(rendererDir, rel));
    if (!file.startsWith(rendererDir + sep)) return send(res, 404, 'not found');
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', ...SECURITY_HEADERS });
      res.end(body);
    } catch {
      send(res, 404, 'not found');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
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
    close: () => {
      // Open event streams would keep server.close() waiting forever.
      for (const end of streams) end();
      engine.close();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
