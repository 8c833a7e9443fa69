import { join } from 'node:path';
import { BrowserWindow, app, ipcMain, session, shell } from 'electron';
import { EVENT_CHANNEL } from '../../shared/ipc-contract';
import { createAppEngine } from '../engine/app/app-engine';
import { writerLaunchFor } from '../engine/app/writer-launch';
import { dispatchIpc } from '../engine/ipc-dispatch';

/**
 * The Electron main process, kept thin: a locked-down window, one IPC wrapper that checks the sender and hands
 * every request to the engine's validating dispatcher, and the engine's events forwarded to the window.
 */
const rendererIndex = join(__dirname, '..', 'renderer', 'index.html');
const rendererUrl = new URL(`file://${rendererIndex}`).href;

// The writer is the bundled CLI run by Electron's own Node (ELECTRON_RUN_AS_NODE), elevated on its own; the UI stays
// unprivileged. pkexec clears the environment, hence env(1) inside it.
const engine = createAppEngine({
  launch: () => writerLaunchFor(join(__dirname, '..', 'cli', 'macula.js'), ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', process.execPath]),
});

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1000,
    height: 760,
    title: 'Macula Companion',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  // Navigation and new windows are locked: only our own page, external links open in the user's browser.
  win.webContents.on('will-navigate', (event, url) => {
    if (url !== rendererUrl) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // Engine events go to this window only while it lives; the renderer validates each with engineEventSchema.
  const unsubscribe = engine.subscribe((event) => {
    if (!win.webContents.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
  });
  win.on('closed', unsubscribe);
  void win.loadFile(rendererIndex);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
  app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    // One wrapper validates the sender (our own page in the main frame) before the dispatcher validates the payload.
    ipcMain.handle('macula:invoke', (event, channel: unknown, payload: unknown) => {
      if (event.senderFrame?.url !== rendererUrl || typeof channel !== 'string') {
        return { ok: false, error: { code: 'ERR_USAGE', message: 'request from an unexpected sender' } };
      }
      return dispatchIpc(channel, payload, engine.handlers);
    });
    createWindow();
  });
  app.on('window-all-closed', () => {
    engine.close();
    app.quit();
  });
}
