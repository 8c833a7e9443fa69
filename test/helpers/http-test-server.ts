import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One request as the server saw it, so tests can assert which headers the client sent. */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** Validators a served file advertises; `false` leaves the header out. */
export interface FileOptions {
  /** An explicit entity-tag (quoted), `false` for none; default a fresh strong tag per version. */
  readonly etag?: string | false;
  readonly lastModified?: boolean;
  /** Send without Content-Length (chunked), as a server streaming generated content would. */
  readonly chunked?: boolean;
}

/** A real HTTP(S) server on 127.0.0.1 serving in-memory files, with knobs for failure modes. */
export interface TestServer {
  readonly origin: string;
  readonly log: LoggedRequest[];
  url(path: string): string;
  clearLog(): void;
  /** Serves `body` at `path`; replacing a file gives it a new ETag and Last-Modified. */
  setFile(path: string, body: Buffer, opts?: FileOptions): void;
  /** For the next `times` requests of `path`, send `bytes` of the body and then destroy the socket. */
  dropAfter(path: string, bytes: number, times?: number): void;
  /** For the next `times` requests of `path`, send headers and `afterBytes` of the body, then go silent;
   *  without `afterBytes` the server never answers at all. */
  stall(path: string, opts?: { afterBytes?: number; times?: number }): void;
  /** Answers range requests for `path` with a 206 covering the whole file, as a broken proxy might. */
  misrange(path: string): void;
  /** Answers `from` with a redirect to `to` (a path or an absolute URL). */
  redirect(from: string, to: string, status?: number): void;
  /** Answers the next `times` requests of `path` with `status`. */
  failWith(path: string, status: number, times?: number): void;
  /** Sends the body of `path` at about `bytesPerSecond` (a slow link), in small chunks, until the client goes away. */
  throttle(path: string, bytesPerSecond: number): void;
  close(): Promise<void>;
}

/** An HTTPS test server plus the PEM of the CA that signed its certificate. */
export interface HttpsTestServer extends TestServer {
  readonly caPem: string;
}

interface ServedFile {
  readonly body: Buffer;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly chunked?: boolean;
}

interface Countdown {
  remaining: number;
}

const BASE_TIME = Date.UTC(2025, 0, 1);

/** Starts a plain HTTP test server on 127.0.0.1 with an OS-chosen port. */
export async function startHttpTestServer(): Promise<TestServer> {
  return listen((handler) => createServer(handler), 'http');
}

/** Starts an HTTPS test server whose certificate (for IP 127.0.0.1) is signed by a CA made with `openssl` now. */
export async function startHttpsTestServer(): Promise<HttpsTestServer> {
  const pki = await makeTestPki();
  const server = await listen((handler) => createHttpsServer({ key: pki.key, cert: pki.cert }, handler), 'https');
  return Object.assign(server, { caPem: pki.caPem });
}

/** Whether the `openssl` CLI needed by the HTTPS server is available. */
export async function hasOpenssl(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(make: (handler: Handler) => Server, scheme: 'http' | 'https'): Promise<TestServer> {
  const files = new Map<string, ServedFile>();
  const drops = new Map<string, Countdown & { bytes: number }>();
  const stalls = new Map<string, Countdown & { afterBytes?: number }>();
  const failures = new Map<string, Countdown & { status: number }>();
  const redirects = new Map<string, { to: string; status: number }>();
  const misranged = new Set<string>();
  const throttles = new Map<string, number>();
  const log: LoggedRequest[] = [];
  let version = 0;

  const take = <T extends Countdown>(map: Map<string, T>, path: string): T | undefined => {
    const knob = map.get(path);
    if (!knob || knob.remaining <= 0) return undefined;
    knob.remaining--;
    return knob;
  };

  const handler: Handler = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://test').pathname;
    log.push({ method: req.method ?? 'GET', path, headers: req.headers });
    const redirect = redirects.get(path);
    if (redirect) {
      res.writeHead(redirect.status, { location: redirect.to });
      res.end();
      return;
    }
    const failure = take(failures, path);
    if (failure) {
      res.writeHead(failure.status);
      res.end();
      return;
    }
    const file = files.get(path);
    if (!file) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    const stall = take(stalls, path);
    if (stall && stall.afterBytes === undefined) return;
    const size = file.body.length;
    const asked = rangeStart(req.headers, file);
    const start = asked !== undefined && misranged.has(path) ? 0 : asked;
    const validators = {
      'accept-ranges': 'bytes',
      ...(file.etag !== undefined ? { etag: file.etag } : {}),
      ...(file.lastModified !== undefined ? { 'last-modified': file.lastModified } : {}),
    };
    if (start !== undefined && start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    const body = file.body.subarray(start ?? 0);
    res.writeHead(start === undefined ? 200 : 206, {
      ...validators,
      'content-type': 'application/octet-stream',
      ...(file.chunked ? {} : { 'content-length': String(body.length) }),
      ...(start !== undefined ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
    });
    if (stall) {
      res.write(body.subarray(0, stall.afterBytes));
      return;
    }
    const drop = take(drops, path);
    if (drop) {
      res.write(body.subarray(0, drop.bytes), () => req.socket.destroy());
      return;
    }
    const rate = throttles.get(path);
    if (rate !== undefined) {
      void sendPaced(res, body, rate);
      return;
    }
    res.end(body);
  };

  const server = make(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${scheme}://127.0.0.1:${port}`;

  return {
    origin,
    log,
    url: (path) => `${origin}${path}`,
    clearLog: () => void log.splice(0),
    setFile(path, body, opts = {}) {
      version++;
      files.set(path, {
        body,
        ...(opts.etag !== false ? { etag: opts.etag ?? `"v${version}-${body.length}"` } : {}),
        // One second per version, so a replaced file always gets a different date.
        ...(opts.lastModified !== false ? { lastModified: new Date(BASE_TIME + version * 1000).toUTCString() } : {}),
        ...(opts.chunked ? { chunked: true } : {}),
      });
    },
    dropAfter: (path, bytes, times = 1) => void drops.set(path, { bytes, remaining: times }),
    stall: (path, opts = {}) =>
      void stalls.set(path, {
        remaining: opts.times ?? Number.POSITIVE_INFINITY,
        ...(opts.afterBytes !== undefined ? { afterBytes: opts.afterBytes } : {}),
      }),
    misrange: (path) => void misranged.add(path),
    redirect: (from, to, status = 302) => void redirects.set(from, { to, status }),
    failWith: (path, status, times = 1) => void failures.set(path, { status, remaining: times }),
    throttle: (path, bytesPerSecond) => void throttles.set(path, bytesPerSecond),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `body` in 64 KiB chunks spaced to about `bytesPerSecond`; stops quietly when the client goes away. */
async function sendPaced(res: ServerResponse, body: Buffer, bytesPerSecond: number): Promise<void> {
  const chunk = 64 * 1024;
  const started = Date.now();
  for (let sent = 0; sent < body.length && !res.destroyed; ) {
    const next = Math.min(body.length, sent + chunk);
    res.write(body.subarray(sent, next));
    sent = next;
    // Paced against the start, so timer slack does not add up over the transfer.
    const due = started + (sent / bytesPerSecond) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
  }
  if (!res.destroyed) res.end();
}

/**
 * The start of a satisfiable `Range: bytes=N-` request, honouring If-Range (RFC 9110 §13.1.5): a strong ETag must
 * match exactly, a date must equal Last-Modified exactly; otherwise the whole file is sent.
 */
function rangeStart(headers: IncomingHttpHeaders, file: ServedFile): number | undefined {
  const m = /^bytes=(\d+)-$/.exec(headers.range ?? '');
  if (!m) return undefined;
  const raw = headers['if-range'];
  const ifRange = Array.isArray(raw) ? raw[0] : raw;
  if (ifRange !== undefined) {
    const isTag = ifRange.startsWith('"') || ifRange.startsWith('W/');
    const matches = isTag
      ? file.etag !== undefined && !ifRange.startsWith('W/') && ifRange === file.etag
      : file.lastModified !== undefined && ifRange === file.lastModified;
    if (!matches) return undefined;
  }
  return Number(m[1]);
}

async function makeTestPki(): Promise<{ key: string; cert: string; caPem: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'macula-pki-'));
  const p = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2',
      '-subj', '/CN=Macula Test CA']);
    await run('openssl', ['req', ...ec, '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=127.0.0.1']);
    await writeFile(p('ext.cnf'), [
      'subjectAltName=IP:127.0.0.1',
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'));
    await run('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
      '-CAcreateserial', '-out', p('leaf.pem'), '-days', '2', '-extfile', p('ext.cnf')]);
    const [key, cert, caPem] = await Promise.all(['leaf.key', 'leaf.pem', 'ca.pem'].map((n) => readFile(p(n), 'utf8')));
    return { key: key ?? '', cert: cert ?? '', caPem: caPem ?? '' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
