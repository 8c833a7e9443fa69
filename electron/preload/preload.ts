import { contextBridge, ipcRenderer } from 'electron';
import type { IpcChannel, IpcRequest, IpcResponse, MaculaBridge } from '../../shared/ipc-contract';

/** Exposes exactly one typed bridge, `window.macula`, to the sandboxed renderer. */
const bridge: MaculaBridge = {
  async invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>> {
    const result = (await ipcRenderer.invoke('macula:invoke', channel, request)) as
      | { ok: true; value: IpcResponse<C> }
      | { ok: false; error: { code: string; message: string } };
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  },
};

contextBridge.exposeInMainWorld('macula', bridge);
