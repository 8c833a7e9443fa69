import { join } from 'node:path';
import { BrowserWindow, app, ipcMain, session, shell } from 'electron';
import { dispatchIpc } from '../engine/ipc-dispatch';

/**
 * The Electron main process, kept thin: a locked-down window and one IPC wrapper that checks the sender and hands
 * every request to the engine's validating dispatcher.
 */
const rendererIndex = join(__dirname, '..', 'renderer', 'index.html');
const rendererUrl = new URL(`file://${rendererIndex}`).href;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1000,
    height: 720,
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
      return dispatchIpc(channel, payload);
    });
    createWindow();
  });
  app.on('window-all-closed', () => app.quit());
}
