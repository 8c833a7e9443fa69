import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isMaculaError, type MaculaError, type MaculaErrorCode } from '../shared/errors';
import type { ByteProgress } from '../shared/progress';
import { download } from '../electron/engine/download/download';
import { partialPaths } from '../electron/engine/download/partial-state';
import {
  hasOpenssl,
  startHttpsTestServer,
  startHttpTestServer,
  type HttpsTestServer,
  type TestServer,
} from './helpers/http-test-server';

const MiB = 1024 * 1024;
const opensslAvailable = await hasOpenssl();

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function rejection(p: Promise<unknown>, code: MaculaErrorCode): Promise<MaculaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMaculaError(err) ? err.code : err).toBe(code);
  return err as MaculaError;
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

let server: TestServer;
let cacheDir: string;

beforeAll(async () => {
  server = await startHttpTestServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'macula-dl-'));
  server.clearLog();
});
afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

describe('download', () => {
  it('downloads a file into the content-addressed cache with the right hash', async () => {
    const body = randomBytes(3 * MiB);
    server.setFile('/full/image.img.xz', body);
    const result = await download({ url: server.url('/full/image.img.xz'), cacheDir, allowHttp: true });
    expect(result).toEqual({
      path: join(cacheDir, 'sha256', sha256(body), 'image.img.xz'),
      sha256: sha256(body),
      size: body.length,
      fromCache: false,
      resumed: false,
    });
    expect((await readFile(result.path)).equals(body)).toBe(true);
    expect(await filesUnder(join(cacheDir, 'partial'))).toEqual([]);
    expect(server.log).toHaveLength(1);
    expect(server.log[0]?.headers.range).toBeUndefined();
  });

  it('resumes within one call after the server drops the connection', async () => {
    const body = randomBytes(4 * MiB);
    server.setFile('/drop/a.img', body, { etag: '"drop-a"' });
    server.dropAfter('/drop/a.img', 1 * MiB, 1);
    const result = await download({ url: server.url('/drop/a.img'), cacheDir, allowHttp: true });
    expect(result.sha256).toBe(sha256(body));
    expect(result.resumed).toBe(true);
    expect(server.log).toHaveLength(2);
    const second = server.log[1]?.headers;
    expect(second?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(second?.['if-range']).toBe('"drop-a"');
    expect((await readFile(result.path)).equals(body)).toBe(true);
  });

  it('keeps the partial when retries are exhausted, and a later call resumes it', async () => {
    const body = randomBytes(4 * MiB);
    server.setFile('/retry0/b.img', body);
    server.dropAfter('/retry0/b.img', 1 * MiB, 1);
    const url = server.url('/retry0/b.img');
    await rejection(download({ url, cacheDir, allowHttp: true, retries: 0 }), 'ERR_NETWORK');
    const paths = partialPaths(cacheDir, sha256(Buffer.from(url)));
    const kept = (await stat(paths.part)).size;
    expect(kept).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(paths.sidecar, 'utf8'))).toMatchObject({ url, total: body.length });

    server.clearLog();
    const result = await download({ url, cacheDir, allowHttp: true, retries: 0 });
    expect(result).toMatchObject({ sha256: sha256(body), size: body.length, resumed: true, fromCache: false });
    expect(server.log).toHaveLength(1);
    expect(server.log[0]?.headers.range).toBe(`bytes=${kept}-`);
    expect(await exists(paths.part)).toBe(false);
    expect(await exists(paths.sidecar)).toBe(false);
  });

  it('restarts from 0 when the file changed between attempts (If-Range by ETag fails)', async () => {
    const old = randomBytes(3 * MiB);
    const fresh = randomBytes(3 * MiB + 17);
    server.setFile('/changed/c.img', old);
    server.dropAfter('/changed/c.img', 1 * MiB, 1);
    const url = server.url('/changed/c.img');
    await rejection(download({ url, cacheDir, allowHttp: true, retries: 0 }), 'ERR_NETWORK');
    const oldEtag = (await readSidecar(url)).etag;
    expect(oldEtag).toMatch(/^"/);
    server.setFile('/changed/c.img', fresh);

    server.clearLog();
    const result = await download({ url, cacheDir, allowHttp: true, retries: 0 });
    expect(server.log[0]?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(server.log[0]?.headers['if-range']).toBe(oldEtag);
    expect(result).toMatchObject({ sha256: sha256(fresh), size: fresh.length, resumed: false });
    expect((await readFile(result.path)).equals(fresh)).toBe(true);
  });

  it('uses Last-Modified for If-Range when there is no ETag, and restarts when it changed', async () => {
    const old = randomBytes(2 * MiB);
    const fresh = randomBytes(2 * MiB);
    server.setFile('/lm/d.img', old, { etag: false });
    server.dropAfter('/lm/d.img', 512 * 1024, 1);
    const url = server.url('/lm/d.img');
    await rejection(download({ url, cacheDir, allowHttp: true, retries: 0 }), 'ERR_NETWORK');
    const oldDate = (await readSidecar(url)).lastModified;
    expect(oldDate).toMatch(/GMT$/);
    server.setFile('/lm/d.img', fresh, { etag: false });

    server.clearLog();
    const result = await download({ url, cacheDir, allowHttp: true, retries: 0 });
    expect(server.log[0]?.headers['if-range']).toBe(oldDate);
    expect(result).toMatchObject({ sha256: sha256(fresh), resumed: false });
  });

  it('restarts from 0 on 416 (the partial is longer than the current file)', async () => {
    const old = randomBytes(3 * MiB);
    const shorter = randomBytes(512 * 1024);
    server.setFile('/416/e.img', old, { etag: '"same"' });
    server.dropAfter('/416/e.img', 1 * MiB, 1);
    const url = server.url('/416/e.img');
    await rejection(download({ url, cacheDir, allowHttp: true, retries: 0 }), 'ERR_NETWORK');
    // Same ETag (a misbehaving server), so If-Range passes and the range is unsatisfiable.
    server.setFile('/416/e.img', shorter, { etag: '"same"' });

    server.clearLog();
    const result = await download({ url, cacheDir, allowHttp: true, retries: 0 });
    expect(server.log.map((r) => r.headers.range)).toEqual([expect.stringMatching(/^bytes=/), undefined]);
    expect(result).toMatchObject({ sha256: sha256(shorter), size: shorter.length, resumed: false });
  });

  it('deletes the partial and caches nothing on a hash mismatch', async () => {
    const body = randomBytes(2 * MiB);
    server.setFile('/bad/f.img', body);
    const wrong = 'ab'.repeat(32);
    const err = await rejection(
      download({ url: server.url('/bad/f.img'), cacheDir, allowHttp: true, expectedSha256: wrong }),
      'ERR_HASH_MISMATCH',
    );
    expect(err.details).toMatchObject({ expected: wrong, actual: sha256(body) });
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('deletes the partial and caches nothing on a size mismatch', async () => {
    const body = randomBytes(1 * MiB);
    server.setFile('/badsize/g.img', body);
    const events: ByteProgress[] = [];
    const err = await rejection(
      download({
        url: server.url('/badsize/g.img'),
        cacheDir,
        allowHttp: true,
        expectedSize: body.length + 1,
        onProgress: (p) => events.push(p),
      }),
      'ERR_SIZE_MISMATCH',
    );
    expect(err.details).toMatchObject({ expected: body.length + 1, actual: body.length });
    // Refused on the Content-Length, before any of the body was downloaded.
    expect(events).toEqual([]);
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('deletes the partial when a body without Content-Length has the wrong size', async () => {
    const body = randomBytes(1 * MiB);
    server.setFile('/badsize2/g2.img', body, { chunked: true });
    const err = await rejection(
      download({ url: server.url('/badsize2/g2.img'), cacheDir, allowHttp: true, expectedSize: body.length - 1 }),
      'ERR_SIZE_MISMATCH',
    );
    expect(err.details).toMatchObject({ expected: body.length - 1, actual: body.length });
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('restarts from 0 when a 206 does not start where the partial ends', async () => {
    const body = randomBytes(2 * MiB);
    server.setFile('/misrange/g3.img', body);
    server.dropAfter('/misrange/g3.img', 512 * 1024, 1);
    server.misrange('/misrange/g3.img');
    const url = server.url('/misrange/g3.img');
    await rejection(download({ url, cacheDir, allowHttp: true, retries: 0 }), 'ERR_NETWORK');
    server.clearLog();
    const result = await download({ url, cacheDir, allowHttp: true, retries: 0 });
    expect(server.log.map((r) => r.headers.range)).toEqual([expect.stringMatching(/^bytes=[1-9]/), undefined]);
    expect(result).toMatchObject({ sha256: sha256(body), size: body.length, resumed: false });
  });

  it('returns a cached file without any request', async () => {
    const body = randomBytes(1 * MiB);
    server.setFile('/cache/h.img', body);
    const opts = { url: server.url('/cache/h.img'), cacheDir, allowHttp: true, expectedSha256: sha256(body) };
    const first = await download(opts);
    expect(first.fromCache).toBe(false);
    server.clearLog();
    const second = await download({ ...opts, expectedSize: body.length });
    expect(second).toEqual({ ...first, fromCache: true });
    expect(server.log).toEqual([]);
  });

  it('refuses plain http unless allowHttp, before any request', async () => {
    const body = randomBytes(64 * 1024);
    server.setFile('/plain/i.bin', body);
    await rejection(download({ url: server.url('/plain/i.bin'), cacheDir }), 'ERR_HTTP_INSECURE');
    expect(server.log).toEqual([]);
    const ok = await download({ url: server.url('/plain/i.bin'), cacheDir, allowHttp: true });
    expect(ok.sha256).toBe(sha256(body));
  });

  it('follows a redirect chain and names the file after the requested URL', async () => {
    const body = randomBytes(256 * 1024);
    server.setFile('/chain/final.bin', body);
    server.redirect('/chain/start.bin', '/chain/hop1', 301);
    server.redirect('/chain/hop1', server.url('/chain/hop2'), 307);
    server.redirect('/chain/hop2', '/chain/final.bin', 308);
    const result = await download({ url: server.url('/chain/start.bin'), cacheDir, allowHttp: true });
    expect(result.sha256).toBe(sha256(body));
    expect(result.path.endsWith('start.bin')).toBe(true);
    expect(server.log.map((r) => r.path)).toEqual(['/chain/start.bin', '/chain/hop1', '/chain/hop2', '/chain/final.bin']);
  });

  it('fails with ERR_HTTP_TOO_MANY_REDIRECTS past maxRedirects', async () => {
    server.setFile('/many/end.bin', randomBytes(1024));
    server.redirect('/many/r1', '/many/r2');
    server.redirect('/many/r2', '/many/r3');
    server.redirect('/many/r3', '/many/end.bin');
    const url = server.url('/many/r1');
    await rejection(download({ url, cacheDir, allowHttp: true, maxRedirects: 2 }), 'ERR_HTTP_TOO_MANY_REDIRECTS');
    expect(server.log).toHaveLength(3);
    server.clearLog();
    await expect(download({ url, cacheDir, allowHttp: true, maxRedirects: 3 })).resolves.toMatchObject({ size: 1024 });
  });

  it('reports a 404 as ERR_HTTP_STATUS with status and url, without retrying', async () => {
    const url = server.url('/missing/j.img');
    const err = await rejection(download({ url, cacheDir, allowHttp: true }), 'ERR_HTTP_STATUS');
    expect(err.details).toMatchObject({ status: 404, url });
    expect(server.log).toHaveLength(1);
  });

  it('keeps credentials in a mirror URL out of error messages and details', async () => {
    const url = server.url('/missing/j.img').replace('http://', 'http://mirror-user:s3cret-pass@');
    const err = await rejection(download({ url, cacheDir, allowHttp: true }), 'ERR_HTTP_STATUS');
    expect(`${err.message} ${JSON.stringify(err.details)}`).not.toMatch(/s3cret-pass|mirror-user/);
    expect(err.details.url).toBe(server.url('/missing/j.img'));
  });

  it('retries a 503 and then succeeds', async () => {
    const body = randomBytes(64 * 1024);
    server.setFile('/flaky/k.bin', body);
    server.failWith('/flaky/k.bin', 503, 1);
    const result = await download({ url: server.url('/flaky/k.bin'), cacheDir, allowHttp: true, retries: 1 });
    expect(result.sha256).toBe(sha256(body));
    expect(server.log).toHaveLength(2);
  });

  it('fails with ERR_HTTP_TIMEOUT when the body stalls longer than timeoutMs', async () => {
    server.setFile('/stall/l.bin', randomBytes(1 * MiB));
    server.stall('/stall/l.bin', { afterBytes: 1000 });
    const started = Date.now();
    await rejection(
      download({ url: server.url('/stall/l.bin'), cacheDir, allowHttp: true, timeoutMs: 300, retries: 0 }),
      'ERR_HTTP_TIMEOUT',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails with ERR_HTTP_TIMEOUT when no response arrives', async () => {
    server.setFile('/silent/m.bin', randomBytes(1024));
    server.stall('/silent/m.bin');
    await rejection(
      download({ url: server.url('/silent/m.bin'), cacheDir, allowHttp: true, timeoutMs: 300, retries: 0 }),
      'ERR_HTTP_TIMEOUT',
    );
  });

  it('reports monotonic progress ending at the size', async () => {
    const body = randomBytes(4 * MiB);
    server.setFile('/progress/n.img', body);
    const events: ByteProgress[] = [];
    await download({ url: server.url('/progress/n.img'), cacheDir, allowHttp: true, onProgress: (p) => events.push(p) });
    expect(events.length).toBeGreaterThan(0);
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytes).toBeGreaterThanOrEqual(events[i - 1]!.bytes);
    expect(events.every((e) => e.phase === 'downloading' && e.total === body.length)).toBe(true);
    expect(events.at(-1)?.bytes).toBe(body.length);
  });

  it('counts resumed bytes in progress', async () => {
    const body = randomBytes(3 * MiB);
    server.setFile('/progress2/o.img', body);
    server.dropAfter('/progress2/o.img', 1 * MiB, 1);
    const url = server.url('/progress2/o.img');
    await rejection(download({ url, cacheDir, allowHttp: true, retries: 0 }), 'ERR_NETWORK');
    const kept = (await stat(partialPaths(cacheDir, sha256(Buffer.from(url))).part)).size;
    const events: ByteProgress[] = [];
    await download({ url, cacheDir, allowHttp: true, onProgress: (p) => events.push(p) });
    expect(events[0]!.bytes).toBeGreaterThan(kept);
    expect(events.at(-1)?.bytes).toBe(body.length);
  });

  it('on abort throws ERR_ABORTED and keeps the partial for a later resume', async () => {
    const body = randomBytes(3 * MiB);
    server.setFile('/abort/p.img', body);
    server.stall('/abort/p.img', { afterBytes: 1 * MiB, times: 1 });
    const url = server.url('/abort/p.img');
    const controller = new AbortController();
    const paths = partialPaths(cacheDir, sha256(Buffer.from(url)));
    const pending = download({ url, cacheDir, allowHttp: true, signal: controller.signal });
    // Abort once the first MiB (all the stalled server sends) is on disk.
    await vi.waitFor(async () => expect((await stat(paths.part)).size).toBe(1 * MiB), { timeout: 5_000 });
    const abortedAt = Date.now();
    controller.abort();
    await rejection(pending, 'ERR_ABORTED');
    // Promptly, not when the 30 s idle timeout would have ended the stalled request anyway.
    expect(Date.now() - abortedAt).toBeLessThan(2_000);
    expect(await exists(paths.part)).toBe(true);
    expect(await exists(paths.sidecar)).toBe(true);
    const kept = (await stat(paths.part)).size;
    expect(kept).toBeGreaterThan(0);

    server.clearLog();
    const result = await download({ url, cacheDir, allowHttp: true });
    expect(result).toMatchObject({ sha256: sha256(body), resumed: true });
    expect(server.log[0]?.headers.range).toBe(`bytes=${kept}-`);
  });

  it('throws ERR_ABORTED without a request when the signal is already aborted', async () => {
    server.setFile('/abort2/q.img', randomBytes(1024));
    await rejection(
      download({ url: server.url('/abort2/q.img'), cacheDir, allowHttp: true, signal: AbortSignal.abort() }),
      'ERR_ABORTED',
    );
    expect(server.log).toEqual([]);
  });
});

describe.skipIf(!opensslAvailable)('download over https', () => {
  let tls: HttpsTestServer;
  beforeAll(async () => {
    tls = await startHttpsTestServer();
  });
  afterAll(async () => {
    await tls.close();
  });
  beforeEach(() => tls.clearLog());

  it('trusts a self-hosted mirror only with its CA', async () => {
    const body = randomBytes(1 * MiB);
    tls.setFile('/tls/r.img', body);
    const url = tls.url('/tls/r.img');
    await rejection(download({ url, cacheDir, retries: 0 }), 'ERR_NETWORK');
    const result = await download({ url, cacheDir, ca: tls.caPem });
    expect(result.sha256).toBe(sha256(body));
  });

  it('refuses an https to http redirect', async () => {
    server.setFile('/down/s.img', randomBytes(1024));
    tls.redirect('/tls/s.img', server.url('/down/s.img'));
    await rejection(download({ url: tls.url('/tls/s.img'), cacheDir, ca: tls.caPem }), 'ERR_HTTP_INSECURE');
    expect(tls.log).toHaveLength(1);
    expect(server.log).toEqual([]);
  });
});

async function readSidecar(url: string): Promise<{ etag?: string; lastModified?: string }> {
  return JSON.parse(await readFile(partialPaths(cacheDir, sha256(Buffer.from(url))).sidecar, 'utf8')) as {
    etag?: string;
    lastModified?: string;
  };
}
