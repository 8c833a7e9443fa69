import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { EVENT_CHANNEL, type IpcChannel, type IpcRequest, type IpcResult, type MaculaBridge } from '../../shared/ipc-contract';
import { INVOKE_CHANNEL } from './invoke-channel';

/**
 * Exposes exactly one typed bridge, `window.macula`, to the sandboxed renderer. A sandboxed preload can require only
 * `electron` (and a few Node shims), so electron/build.mjs bundles everything else into preload.cjs;
 * test/bundle-boundaries.test.ts runs that bundle against a fake `electron` and checks what it exposes.
 */
const bridge: MaculaBridge = {
  // Main's envelope is handed over as it came: a refusal stays a value. Thrown instead, contextBridge would rebuild it
  // in the renderer from its message alone, losing its code and field (Electron's contextBridge docs, "Parameter /
  // Error / Return Type support").
  invoke: <C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResult<C>> =>
    ipcRenderer.invoke(INVOKE_CHANNEL, channel, request) as Promise<IpcResult<C>>,
  // Only the event payload crosses, never the IpcRendererEvent (it would hand the renderer ipcRenderer itself).
  onEvent(listener) {
    const forward = (_event: unknown, payload: unknown): void => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, forward);
  },
  pathForFile: (file) => webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]),
};

contextBridge.exposeInMainWorld('macula', bridge);
