import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_HEADER, type WebShell, startWebShell } from '../electron/web/web-server';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw HTTP request, so the test controls Host and Origin as an attacker's browser would send them. */
function send(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('browser shell server', () => {
  let dir: string;
  let shell: WebShell;
  let port: number;
  let origin: string;
  const api = (headers: Record<string, string>, body = '{}', path = '/api/catalog.load') =>
    send(port, path, { method: 'POST', headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-web-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    shell = await startWebShell(dir);
    port = Number(new URL(shell.url).port);
    origin = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await shell.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on loopback only and hands out the token in the URL fragment', () => {
    expect(shell.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{20,}$/);
    expect(shell.server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('serves the renderer with a strict CSP, and nothing outside it', async () => {
    const page = await send(port, '/', { headers: { host: `127.0.0.1:${port}` } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await send(port, '/../package.json', { headers: { host: `127.0.0.1:${port}` } })).status).toBe(404);
  });

  it('answers the IPC contract for our origin with the token', async () => {
    const reply = await api({ origin, [TOKEN_HEADER]: shell.token }, JSON.stringify({ url: 'assets/catalog.json' }));
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.body);
    expect(body.ok).toBe(true);
    expect(body.value.catalog.os_list.length).toBeGreaterThan(0);
  });

  it('refuses a rebound Host, a foreign Origin, and a missing or wrong token', async () => {
    expect((await send(port, '/', { headers: { host: 'evil.example:80' } })).status).toBe(421);
    expect((await api({ origin: 'http://evil.example', [TOKEN_HEADER]: shell.token })).status).toBe(403);
    expect((await api({ origin })).status).toBe(401);
    expect((await api({ origin, [TOKEN_HEADER]: `${shell.token.slice(1)}x` })).status).toBe(401);
  });

  it('validates payloads against the contract before the engine sees them', async () => {
    const reply = await api({ origin, [TOKEN_HEADER]: shell.token }, JSON.stringify({ url: 42 }));
    expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { code: 'ERR_USAGE' } });
    const unknown = await api({ origin, [TOKEN_HEADER]: shell.token }, '{}', '/api/fs.delete');
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'ERR_USAGE' } });
  });
});
