import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BrowserWindow, type WebContents, app, ipcMain, powerSaveBlocker, protocol, session, shell } from 'electron';
import { EVENT_CHANNEL } from '../../shared/ipc-contract';
import { createAppEngine } from '../engine/app/app-engine';
import { writerLaunch } from '../engine/app/writer-launch';
import { dispatchIpc } from '../engine/ipc-dispatch';
import { createLogger } from '../engine/log/logger';
import { INVOKE_CHANNEL } from '../preload/invoke-channel';
import { APP_INDEX_URL, APP_SCHEME, contentTypeOf, resolveAppFile } from './app-origin';
import { appWriterRuntime } from './app-writer';
import { APP_CSP, withAppSecurityHeaders } from './csp';
import { guardInvoke } from './ipc-guard';
import { navigationDecision, windowOpenDecision } from './navigation-policy';
import { secureWebPreferences } from './web-preferences';

/**
 * The Electron main process, kept thin: every decision lives in a pure module beside this one (tested without
 * Electron); this file only wires them to Electron's hooks.
 */
const log = createLogger({ namespace: 'main' });
const rendererDir = join(__dirname, '..', 'renderer');
const engine = createAppEngine({
  launch: () => writerLaunch(appWriterRuntime(__dirname, process.execPath)),
  // Electron's own blocker (IOKit, logind, SetThreadExecutionState) keeps the machine awake during a flash.
  inhibitor: {
    hold() {
      const id = powerSaveBlocker.start('prevent-app-suspension');
      return () => powerSaveBlocker.stop(id);
    },
  },
});
let mainWindow: BrowserWindow | undefined;

// Must happen before `ready`: app:// becomes a standard, secure origin of its own (see app-origin.ts).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);

async function serveAppFile(request: Request): Promise<Response> {
  const file = resolveAppFile(rendererDir, request.url);
  if (file === undefined) return new Response('not found', { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(body, { headers: { 'content-type': contentTypeOf(file), 'content-security-policy': APP_CSP, 'x-content-type-options': 'nosniff' } });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

/** Navigation, redirects, new windows and <webview> locked for every web contents, not only the ones we create. */
function lockDown(contents: WebContents): void {
  const guard = (event: { preventDefault(): void }, url: string): void => {
    const decision = navigationDecision(url);
    if (decision.kind === 'allow') return;
    event.preventDefault();
    if (decision.kind === 'external') void shell.openExternal(decision.url);
    else log.warn('navigation refused', { url });
  };
  contents.on('will-navigate', (event) => guard(event, event.url));
  contents.on('will-redirect', (event) => guard(event, event.url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url);
    if (decision.kind === 'external') void shell.openExternal(decision.url);
    return { action: 'deny' };
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({ width: 1000, height: 760, title: 'Macula Companion', webPreferences: secureWebPreferences(join(__dirname, 'preload.cjs')) });
  // Engine events go to this window only while it lives; the renderer validates each with engineEventSchema.
  const unsubscribe = engine.subscribe((event) => {
    if (!win.webContents.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
  });
  win.on('closed', () => {
    unsubscribe();
    mainWindow = undefined;
  });
  void win.loadURL(APP_INDEX_URL);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // A second launch (e.g. opening an .iso from the file manager) focuses the window already open.
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  void app.whenReady().then(() => {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, permission, callback) => {
      log.warn('permission refused', { permission });
      callback(false);
    });
    ses.setPermissionCheckHandler(() => false);
    ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withAppSecurityHeaders(details.url, details.responseHeaders) }));
    protocol.handle(APP_SCHEME, serveAppFile);
    ipcMain.handle(INVOKE_CHANNEL, (event, channel: unknown, payload: unknown) => {
      const frame = event.senderFrame;
      const sender = frame ? { url: frame.url, isMainFrame: frame.parent === null, isAppWindow: mainWindow !== undefined && event.sender === mainWindow.webContents } : null;
      return guardInvoke(sender, channel, payload, (c, p) => dispatchIpc(c, p, engine.handlers));
    });
    mainWindow = createWindow();
  });
  app.on('window-all-closed', () => {
    engine.close();
    app.quit();
  });
}
