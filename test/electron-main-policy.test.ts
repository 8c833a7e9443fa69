import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createAppEngine } from '../electron/engine/app/app-engine';
import { dispatchIpc } from '../electron/engine/ipc-dispatch';
import { APP_INDEX_URL, isAppUrl, resolveAppFile } from '../electron/main/app-origin';
import { APP_CSP, META_CSP, withAppSecurityHeaders } from '../electron/main/csp';
import { guardInvoke, isTrustedSender } from '../electron/main/ipc-guard';
import { navigationDecision, safeExternalUrl, windowOpenDecision } from '../electron/main/navigation-policy';
import { secureWebPreferences } from '../electron/main/web-preferences';
import { startWebShell } from '../electron/web/web-server';

/** The pure decisions electron/main/main.ts wires to Electron's hooks (Electron itself cannot run here). */
describe('Electron main policy', () => {
  it('opens the window isolated, sandboxed, without Node, with web security on', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
  });

  it('has one CSP: Electron headers, the browser shell headers and the meta tag of index.html agree', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'macula-csp-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html>');
    const engine = createAppEngine({ launch: () => ({ kind: 'in-process' }), driveSource: { list: async () => [] } });
    const shell = await startWebShell(dir, { engine });
    try {
      const res = await fetch(new URL('/', shell.url));
      expect(res.headers.get('content-security-policy')).toBe(APP_CSP);
    } finally {
      await shell.close();
      await rm(dir, { recursive: true, force: true });
    }
    const html = await readFile(new URL('../renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1];
    expect(meta).toBe(META_CSP);
    expect(APP_CSP).not.toMatch(/unsafe-(inline|eval)|\*/);
  });

  it('puts the CSP on app responses, replacing any other, and leaves other origins alone', () => {
    const h = withAppSecurityHeaders(APP_INDEX_URL, { 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] });
    expect(h['Content-Security-Policy']).toEqual([APP_CSP]);
    expect(h['content-security-policy']).toBeUndefined();
    expect(h['Content-Type']).toEqual(['text/html']);
    expect(withAppSecurityHeaders('https://example.org/', { a: ['b'] })).toEqual({ a: ['b'] });
  });

  it('serves only files under the renderer folder from app://macula/', () => {
    expect(resolveAppFile('/r', 'app://macula/')).toBe('/r/index.html');
    expect(resolveAppFile('/r', 'app://macula/assets/index-1.js')).toBe('/r/assets/index-1.js');
    // `..` and `%2e%2e` segments are folded by the URL parser itself (they stay under /r); what survives it is refused.
    expect(resolveAppFile('/r', 'app://macula/../etc/passwd')).toBe('/r/etc/passwd');
    expect(resolveAppFile('/r', 'app://macula/%2e%2e/%2e%2e/etc/passwd')).toBe('/r/etc/passwd');
    for (const url of ['app://macula/a%2f..%2f..%2f..%2fx', 'app://macula/a%5c..%5c..%5cx', 'app://macula/x%00.html', 'app://other/index.html', 'file:///r/index.html', 'app://u:p@macula/index.html'])
      expect(resolveAppFile('/r', url), url).toBeUndefined();
    expect(isAppUrl('app://macula.evil.com/')).toBe(false);
  });

  it('lets the window navigate only within the app; https links go to the browser, everything else nowhere', () => {
    expect(navigationDecision('app://macula/index.html#/fleet')).toEqual({ kind: 'allow' });
    expect(navigationDecision('https://github.com/macula-io')).toEqual({ kind: 'external', url: 'https://github.com/macula-io' });
    for (const url of ['http://example.org/', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@example.org/', 'https://exa mple.org/', 'not a url', `https://example.org/${'a'.repeat(3000)}`])
      expect(navigationDecision(url), url).toEqual({ kind: 'deny' });
    // window.open never opens an app window, not even for our own origin.
    expect(windowOpenDecision(APP_INDEX_URL)).toEqual({ kind: 'deny' });
    expect(windowOpenDecision('https://192.168.1.20:8443/console')).toEqual({ kind: 'external', url: 'https://192.168.1.20:8443/console' });
    expect(safeExternalUrl('HTTPS://Example.org')).toBe('https://example.org/');
  });

  it('accepts IPC only from the app page in the main frame of the app window', () => {
    const ok = { url: APP_INDEX_URL, isMainFrame: true, isAppWindow: true };
    expect(isTrustedSender(ok)).toBe(true);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender({ ...ok, isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ ...ok, isAppWindow: false })).toBe(false);
    for (const url of ['file:///tmp/evil.html', 'https://example.org/', 'app://macula2/index.html', 'devtools://devtools/'])
      expect(isTrustedSender({ ...ok, url }), url).toBe(false);
  });

  it('refuses foreign senders before dispatch and lets the dispatcher validate every payload', async () => {
    const dispatch = vi.fn(async () => ({ ok: true as const, value: 1 }));
    const foreign = await guardInvoke({ url: 'file:///x.html', isMainFrame: true, isAppWindow: true }, 'drives.list', {}, dispatch);
    expect(foreign).toMatchObject({ ok: false, error: { code: 'ERR_USAGE' } });
    expect(await guardInvoke({ url: APP_INDEX_URL, isMainFrame: true, isAppWindow: true }, 42, {}, dispatch)).toMatchObject({ ok: false });
    expect(dispatch).not.toHaveBeenCalled();

    // Through the real dispatcher: an unknown channel and an invalid request never reach a handler.
    const handler = vi.fn();
    const handlers = new Proxy({}, { get: () => handler }) as Parameters<typeof dispatchIpc>[2];
    const app = { url: APP_INDEX_URL, isMainFrame: true, isAppWindow: true };
    const real = (c: string, p: unknown): ReturnType<typeof dispatchIpc> => dispatchIpc(c, p, handlers);
    expect(await guardInvoke(app, 'fs.readFile', {}, real)).toMatchObject({ ok: false, error: { code: 'ERR_USAGE' } });
    expect(await guardInvoke(app, 'flash.start', { targets: 'not an array' }, real)).toMatchObject({ ok: false, error: { code: 'ERR_USAGE' } });
    expect(handler).not.toHaveBeenCalled();
  });
});
