import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { EVENT_CHANNEL, type IpcChannel, type IpcRequest, type IpcResponse, type MaculaBridge } from '../../shared/ipc-contract';
import { INVOKE_CHANNEL } from './invoke-channel';

/**
 * Exposes exactly one typed bridge, `window.macula`, to the sandboxed renderer. A sandboxed preload can require only
 * `electron` (and a few Node shims), so electron/build.mjs bundles everything else into preload.cjs;
 * test/bundle-boundaries.test.ts runs that bundle against a fake `electron` and checks what it exposes.
 */
const bridge: MaculaBridge = {
  async invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>> {
    const result = (await ipcRenderer.invoke(INVOKE_CHANNEL, channel, request)) as
      | { ok: true; value: IpcResponse<C> }
      | { ok: false; error: { code: string; message: string } };
    if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
    return result.value;
  },
  // Only the event payload crosses, never the IpcRendererEvent (it would hand the renderer ipcRenderer itself).
  onEvent(listener) {
    const forward = (_event: unknown, payload: unknown): void => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, forward);
  },
  pathForFile: (file) => webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]),
};

contextBridge.exposeInMainWorld('macula', bridge);
