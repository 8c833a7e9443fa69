import type { IpcChannel, IpcRequest, IpcResponse } from '../../shared/ipc-contract';
import { loadCatalog } from './catalog/load-catalog';

/** The engine side of every IPC channel; the Electron main process and the web shell both dispatch here. */
export type IpcHandlers = { [C in IpcChannel]: (request: IpcRequest<C>) => Promise<IpcResponse<C>> };

export const ipcHandlers: IpcHandlers = {
  'catalog.load': async (request) => loadCatalog(request.url !== undefined ? { url: request.url } : {}),
};
