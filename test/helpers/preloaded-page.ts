import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { APP_ORIGIN } from '../../electron/main/app-origin';
import type { SenderFrame } from '../../electron/main/ipc-guard';
import { INVOKE_CHANNEL } from '../../electron/preload/invoke-channel';
import { EVENT_CHANNEL } from '../../shared/ipc-contract';
import { openPage } from './browser';
import { copyAcrossBridge } from './context-bridge';
import type { NsProcess } from './netns';

/**
 * The renderer as the Electron app runs it, where no Electron binary can: the real preload (bundled from source as
 * electron/build.mjs bundles it) runs in the page before the app against a fake `electron` whose contextBridge copies
 * what it exposes the way Electron's does (context-bridge.ts), and whose ipcRenderer reaches a stand-in for main
 * (electron-main-host.ts: the real engine behind guardInvoke and dispatchIpc). Engine events come back the way
 * webContents.send delivers them, to the preload's listeners.
 *
 * The page is served from PAGE_ORIGIN by Playwright (Chromium has no app:// here); the sender check sees its frames'
 * URLs on the app's origin, path for path, and every other origin as it is.
 */
const PAGE_ORIGIN = 'http://macula.test';

const CONTENT_TYPES: Readonly<Record<string, string>> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** The preload bundle, as electron/build.mjs makes dist/electron/preload.cjs (but from the sources of this checkout). */
async function preloadBundle(): Promise<string> {
  const out = await build({
    entryPoints: ['electron/preload/preload.ts'],
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'cjs',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild wrote no preload bundle');
  return file.text;
}

/**
 * In the page, before any of its scripts: the fake `electron` and the preload run against it. `__maculaInvoke` is the
 * binding to main; `__maculaDeliver` is how the test hands the page an event main pushed.
 */
function initScript(preload: string): string {
  return `(() => {
  const copyAcrossBridge = ${copyAcrossBridge.toString()};
  const listeners = new Set();
  window.__maculaDeliver = (payload) => { for (const l of [...listeners]) l({ sender: 'ipcRenderer event' }, payload); };
  const electron = {
    contextBridge: { exposeInMainWorld: (key, api) => { window[key] = copyAcrossBridge(api); } },
    ipcRenderer: {
      // ipcMain.handle(INVOKE_CHANNEL, (event, ...args)): main's handler gets what follows the channel.
      invoke: (ipcChannel, ...args) => ipcChannel === ${JSON.stringify(INVOKE_CHANNEL)} ? window.__maculaInvoke(...args) : Promise.reject(new Error('No handler registered for ' + ipcChannel)),
      on: (channel, listener) => { if (channel === ${JSON.stringify(EVENT_CHANNEL)}) listeners.add(listener); },
      removeListener: (channel, listener) => { listeners.delete(listener); },
    },
    webUtils: { getPathForFile: () => '' },
  };
  const module = { exports: {} };
  const require = (name) => { if (name === 'electron') return electron; throw new Error('a sandboxed preload cannot require ' + name); };
  (function (require, module, exports) {\n${preload}\n})(require, module, module.exports);
})();`;
}

/** Main's answers by request id, and its events forwarded to whichever page is current. */
export interface PreloadedApp {
  readonly page: Page;
  /** Sends a request to main as the app window would (e.g. a second request the page does not know of). */
  invoke(channel: string, payload: unknown): Promise<unknown>;
}

/** Opens the renderer built into `rendererDir` in a new page of `browser`, its `window.macula` from the real preload. */
export async function openPreloadedApp(browser: Browser, rendererDir: string, main: NsProcess): Promise<PreloadedApp> {
  const page = await openPage(browser, { width: 1000, height: 900 });
  const pending = new Map<number, (result: unknown) => void>();
  let nextId = 1;
  const stdout = main.child.stdout;
  if (!stdout) throw new Error('main has no stdout');
  createInterface({ input: stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const message = JSON.parse(line) as { id?: number; result?: unknown; event?: unknown };
    if (message.id !== undefined) {
      pending.get(message.id)?.(message.result);
      pending.delete(message.id);
    } else if (message.event !== undefined) {
      // Like webContents.send to a window still loading: an event that finds no page listening is lost.
      page.evaluate((e) => (globalThis as { __maculaDeliver?: (e: unknown) => void }).__maculaDeliver?.(e), message.event).catch(() => undefined);
    }
  });
  const toMain = (frame: SenderFrame | null, channel: unknown, payload: unknown): Promise<unknown> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      main.write(JSON.stringify({ id, frame, channel, payload }));
    });
  const appWindow: SenderFrame = { url: `${APP_ORIGIN}/index.html`, isMainFrame: true, isAppWindow: true };

  await page.exposeBinding('__maculaInvoke', (source, channel: unknown, payload: unknown) => {
    const url = source.frame.url();
    const frame: SenderFrame = {
      url: url.startsWith(`${PAGE_ORIGIN}/`) ? `${APP_ORIGIN}${url.slice(PAGE_ORIGIN.length)}` : url,
      isMainFrame: source.frame === page.mainFrame(),
      isAppWindow: source.page === page,
    };
    return toMain(frame, channel, payload);
  });
  await page.addInitScript({ content: initScript(await preloadBundle()) });
  const root = normalize(rendererDir);
  await page.route(`${PAGE_ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep)) return route.fulfill({ status: 404 });
    const body = await readFile(file).catch(() => undefined);
    if (!body) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, body, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
  });
  await page.goto(`${PAGE_ORIGIN}/index.html`);
  return { page, invoke: (channel, payload) => toMain(appWindow, channel, payload) };
}
