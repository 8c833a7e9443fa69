import { MaculaError, isMaculaError } from '../../shared/errors';
import { type IpcError, ipcContract, isIpcChannel } from '../../shared/ipc-contract';
import type { IpcHandlers } from './ipc-handlers';

export type DispatchResult = { ok: true; value: unknown } | { ok: false; error: IpcError };

/**
 * The one wrapper every IPC request passes through: channel known, payload valid against the contract,
 * response valid too, and errors reduced to code + message (+ the form field at fault) so nothing else leaks across
 * the boundary.
 */
export async function dispatchIpc(channel: string, payload: unknown, handlers: IpcHandlers): Promise<DispatchResult> {
  try {
    if (!isIpcChannel(channel)) throw new MaculaError('ERR_USAGE', `unknown IPC channel "${channel}"`);
    const contract = ipcContract[channel];
    const parsed = contract.request.safeParse(payload);
    if (!parsed.success) throw new MaculaError('ERR_USAGE', `invalid request for ${channel}: ${parsed.error.message}`);
    // One cast where the channel's schema and its handler meet: TypeScript cannot correlate the two through `channel`.
    const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
    const value = contract.response.parse(await handler(parsed.data));
    return { ok: true, value };
  } catch (e) {
    const code = isMaculaError(e) ? e.code : 'ERR_INTERNAL';
    const field = isMaculaError(e) ? e.details.field : undefined;
    return { ok: false, error: { code, message: e instanceof Error ? e.message : String(e), ...(field !== undefined ? { field } : {}) } };
  }
}
