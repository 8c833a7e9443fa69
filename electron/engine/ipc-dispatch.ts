import { MaculaError, isMaculaError } from '../../shared/errors';
import { type IpcEnvelope, type IpcError, ipcContract, isIpcChannel } from '../../shared/ipc-contract';
import type { IpcErrorDetails } from '../../shared/ipc-error';
import type { IpcHandlers } from './ipc-handlers';

export type DispatchResult = IpcEnvelope;

/** A caught error as it may cross: a MaculaError's code, field and details (never its url: ipc-error.ts), else ERR_INTERNAL. */
function ipcErrorOf(e: unknown): IpcError {
  const message = e instanceof Error ? e.message : String(e);
  if (!isMaculaError(e)) return { code: 'ERR_INTERNAL', message };
  const { field, expected, actual, offset, path, status } = e.details;
  const picked: IpcErrorDetails = { expected, actual, offset, path, status };
  const details = Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) as IpcErrorDetails;
  return { code: e.code, message, ...(field !== undefined ? { field } : {}), ...(Object.keys(details).length > 0 ? { details } : {}) };
}

/**
 * The one wrapper every IPC request passes through: channel known, payload valid against the contract,
 * response valid too, and errors reduced to code, message, the form field at fault and the details that may cross, so
 * nothing else leaks across the boundary.
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
    return { ok: false, error: ipcErrorOf(e) };
  }
}
