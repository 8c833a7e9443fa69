import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaculaError, type MaculaErrorCode } from '../../../shared/errors';
import {
  hasOpenssl,
  startHttpsTestServer,
  startHttpTestServer,
  type HttpsTestServer,
  type TestServer,
} from '../../../test/helpers/http-test-server';
import { fetchBytes } from './fetch-bytes';

const opensslAvailable = await hasOpenssl();

async function codeOf(p: Promise<unknown>): Promise<MaculaErrorCode | unknown> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (isMaculaError(e) ? e.code : e),
  );
}

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startHttpTestServer();
  dir = await mkdtemp(join(tmpdir(), 'macula-fetch-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('fetchBytes over http', () => {
  it('returns the body, following redirects', async () => {
    const body = Buffer.from('{"catalog":1}');
    server.setFile('/doc/catalog.json', body);
    server.redirect('/doc/latest', '/doc/catalog.json', 302);
    expect((await fetchBytes(server.url('/doc/latest'), { allowHttp: true })).equals(body)).toBe(true);
  });

  it('refuses plain http unless allowed', async () => {
    server.setFile('/doc/SHA256SUMS', Buffer.from('x'));
    expect(await codeOf(fetchBytes(server.url('/doc/SHA256SUMS')))).toBe('ERR_HTTP_INSECURE');
  });

  it('reports a 404 as ERR_HTTP_STATUS', async () => {
    expect(await codeOf(fetchBytes(server.url('/doc/nope'), { allowHttp: true }))).toBe('ERR_HTTP_STATUS');
  });

  it('enforces maxBytes from Content-Length and while streaming', async () => {
    server.setFile('/doc/big', randomBytes(2048));
    server.setFile('/doc/big-chunked', randomBytes(2048), { chunked: true });
    expect((await fetchBytes(server.url('/doc/big'), { allowHttp: true, maxBytes: 2048 })).length).toBe(2048);
    expect(await codeOf(fetchBytes(server.url('/doc/big'), { allowHttp: true, maxBytes: 2047 }))).toBe(
      'ERR_SIZE_MISMATCH',
    );
    expect(await codeOf(fetchBytes(server.url('/doc/big-chunked'), { allowHttp: true, maxBytes: 2047 }))).toBe(
      'ERR_SIZE_MISMATCH',
    );
  });

  it('refuses an announced oversize body before reading it', async () => {
    server.setFile('/doc/huge', randomBytes(4 * 1024 * 1024));
    const err = await fetchBytes(server.url('/doc/huge'), { allowHttp: true, maxBytes: 1024 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SIZE_MISMATCH', details: { expected: 1024, actual: 4 * 1024 * 1024 } });
  });

  it('times out when the server does not answer', async () => {
    server.setFile('/doc/slow', Buffer.from('x'));
    server.stall('/doc/slow');
    expect(await codeOf(fetchBytes(server.url('/doc/slow'), { allowHttp: true, timeoutMs: 200 }))).toBe(
      'ERR_HTTP_TIMEOUT',
    );
  });
});

describe('fetchBytes from disk', () => {
  it('reads file: URLs and plain paths, and enforces maxBytes', async () => {
    const path = join(dir, 'sums.txt');
    await writeFile(path, 'abc');
    expect((await fetchBytes(path)).toString()).toBe('abc');
    expect((await fetchBytes(pathToFileURL(path).href)).toString()).toBe('abc');
    expect(await codeOf(fetchBytes(path, { maxBytes: 2 }))).toBe('ERR_SIZE_MISMATCH');
    expect(await codeOf(fetchBytes(join(dir, 'missing.txt')))).toBe('ERR_IO');
  });

  it('rejects other URL schemes', async () => {
    expect(await codeOf(fetchBytes('ftp://example.invalid/x'))).toBe('ERR_USAGE');
  });
});

describe.skipIf(!opensslAvailable)('fetchBytes over https', () => {
  let tls: HttpsTestServer;
  beforeAll(async () => {
    tls = await startHttpsTestServer();
  });
  afterAll(async () => {
    await tls.close();
  });

  it('trusts the mirror only with its CA', async () => {
    tls.setFile('/doc/sig.asc', Buffer.from('sig'));
    expect(await codeOf(fetchBytes(tls.url('/doc/sig.asc')))).toBe('ERR_NETWORK');
    expect((await fetchBytes(tls.url('/doc/sig.asc'), { ca: tls.caPem })).toString()).toBe('sig');
  });
});
