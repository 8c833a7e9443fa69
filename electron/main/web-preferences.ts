import type { WebPreferences } from 'electron';

/**
 * The window's webPreferences: the renderer is an untrusted web page with one bridge (Electron security checklist
 * items 2–4, 6, 8, 12): isolated world for the preload, Chromium's OS sandbox, no Node anywhere (frames, workers),
 * same-origin policy on, no <webview>, and a dropped file never navigates the window away.
 */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}
