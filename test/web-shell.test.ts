import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_HEADER, type WebShell, startWebShell } from '../electron/web/web-server';
import { createAppEngine } from '../electron/engine/app/app-engine';
import { ipcResultSchema } from '../shared/ipc-contract';
import { engineEventSchema } from '../shared/ipc-events';
import { EMPTY_SEED_FORM } from '../shared/seed-form';

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
    // A stream answered where a refusal was due (the event stream) fails in seconds instead of hanging the test.
    req.setTimeout(5000, () => req.destroy(new Error(`no complete answer to ${path} within 5 s`)));
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

  const NEW_PATHS = ['/api/events', '/api/drives.list', '/api/seed.validate', '/api/flash.start', '/api/flash.cancel', '/api/image.inspect'];

  it('refuses every new endpoint, the event stream included, without the token or from a foreign Origin', async () => {
    for (const path of NEW_PATHS) {
      expect((await api({ origin }, '{}', path)).status, `${path} without token`).toBe(401);
      expect((await api({ origin: 'http://evil.example', [TOKEN_HEADER]: shell.token }, '{}', path)).status, `${path} foreign origin`).toBe(403);
      expect((await api({ [TOKEN_HEADER]: shell.token }, '{}', path)).status, `${path} without Origin`).toBe(403);
      const get = await send(port, path, { headers: { host: `127.0.0.1:${port}`, origin, [TOKEN_HEADER]: shell.token } });
      expect(get.status, `${path} by GET`).toBe(405);
    }
  });

  it('checks a seed form without ever sending the enrollment token back', async () => {
    const token = 'enroll-0123456789abcdef0123';
    const form = { ...EMPTY_SEED_FORM, hostname: 'Bad_Host', portalUrl: 'https://portal.example.com', portalToken: token };
    const badText = (await api({ origin, [TOKEN_HEADER]: shell.token }, JSON.stringify({ form }), '/api/seed.validate')).body;
    expect(JSON.parse(badText)).toMatchObject({ ok: true, value: { ok: false, errors: [{ field: 'hostname' }] } });
    const good = await api({ origin, [TOKEN_HEADER]: shell.token }, JSON.stringify({ form: { ...form, hostname: 'edge-{nn}' } }), '/api/seed.validate');
    expect(JSON.parse(good.body)).toMatchObject({ ok: true, value: { ok: true, summary: { hostname: 'edge-{nn}', template: true, hasEnrollmentToken: true } } });
    expect(badText + good.body).not.toContain(token);
  });

  it('refuses a flash whose seed is invalid before starting anything, naming the field', async () => {
    const request = { image: { kind: 'file', path: '/nonexistent.img' }, targets: ['/nonexistent-target'], seed: { ...EMPTY_SEED_FORM, timezone: 'Mars/Olympus' }, verify: true };
    const reply = JSON.parse((await api({ origin, [TOKEN_HEADER]: shell.token }, JSON.stringify(request), '/api/flash.start')).body);
    expect(reply).toMatchObject({ ok: false, error: { code: 'ERR_SEED_INVALID', field: 'timezone' } });
  });

  it("answers a refusal with the error's structured details, checked by the contract's error schema", async () => {
    const reply: unknown = JSON.parse((await api({ origin, [TOKEN_HEADER]: shell.token }, JSON.stringify({ path: '/nonexistent.img' }), '/api/image.inspect')).body);
    expect(reply).toMatchObject({ ok: false, error: { code: 'ERR_IO', details: { path: '/nonexistent.img' } } });
    expect(ipcResultSchema.safeParse(reply).success).toBe(true);
  });
});

describe('browser shell event stream (Server-Sent Events)', () => {
  let dir: string;
  let shell: WebShell;
  let port: number;
  let origin: string;
  const fakeDrive = {
    device: '/dev/sdz',
    size: 16e9,
    description: 'Test Stick',
    busType: 'USB',
    isRemovable: true,
    isSystem: false,
    isReadOnly: false,
    mountpoints: [],
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-web-sse-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    const engine = createAppEngine({ launch: () => ({ kind: 'in-process' }), driveSource: { list: async () => [fakeDrive] }, drivePollMs: 50 });
    shell = await startWebShell(dir, { engine });
    port = Number(new URL(shell.url).port);
    origin = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await shell.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams engine events as text/event-stream to our origin with the token, each valid against the event schema', async () => {
    const events = await new Promise<unknown[]>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/api/events', method: 'POST', headers: { host: `127.0.0.1:${port}`, origin, [TOKEN_HEADER]: shell.token } },
        (res) => {
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toContain('text/event-stream');
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
            const data = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as unknown);
            if (data.length > 0) {
              req.destroy();
              resolve(data);
            }
          });
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    const first = engineEventSchema.parse(events[0]);
    expect(first).toEqual({ type: 'drives.changed', added: ['/dev/sdz'], removed: [] });
  });

  it('lists the injected drive classified, and an added path that is no target as a problem', async () => {
    const body = JSON.stringify({ showSystem: false, extraPaths: ['/nonexistent-target'], imageSize: 32e9 });
    const reply = await send(port, '/api/drives.list', { method: 'POST', headers: { host: `127.0.0.1:${port}`, origin, [TOKEN_HEADER]: shell.token, 'content-type': 'application/json' }, body });
    const value = JSON.parse(reply.body).value;
    expect(value.drives).toHaveLength(1);
    expect(value.drives[0]).toMatchObject({ drive: { device: '/dev/sdz' }, refusals: [{ reason: 'too-small' }], origin: 'os' });
    expect(value.problems).toEqual([{ path: '/nonexistent-target', message: expect.stringContaining('does not exist') }]);
  });
});

