/** The one ipcMain/ipcRenderer channel requests travel on (main handles it, the preload invokes it). */
export const INVOKE_CHANNEL = 'macula:invoke';
