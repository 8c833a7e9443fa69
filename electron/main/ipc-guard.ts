import type { DispatchResult } from '../engine/ipc-dispatch';
import { isAppUrl } from './app-origin';

/** What main knows about the frame an IPC message came from (null: the frame was already gone). */
export interface SenderFrame {
  readonly url: string;
  /** The top-level frame, not an iframe. */
  readonly isMainFrame: boolean;
  /** The frame belongs to the app's own window. */
  readonly isAppWindow: boolean;
}

/** Only the app's own page, in its main frame, in its own window may call the engine. */
export function isTrustedSender(frame: SenderFrame | null): boolean {
  return frame !== null && frame.isMainFrame && frame.isAppWindow && isAppUrl(frame.url);
}

/**
 * The one ipcMain wrapper (STYLE.md: validate sender and payload in one place): the sender is checked here, then the
 * engine's dispatcher validates the channel, the request and the response against shared/ipc-contract.ts.
 */
export async function guardInvoke(
  frame: SenderFrame | null,
  channel: unknown,
  payload: unknown,
  dispatch: (channel: string, payload: unknown) => Promise<DispatchResult>,
): Promise<DispatchResult> {
  if (!isTrustedSender(frame)) return { ok: false, error: { code: 'ERR_USAGE', message: 'request from an unexpected sender' } };
  if (typeof channel !== 'string') return { ok: false, error: { code: 'ERR_USAGE', message: 'IPC channel must be a string' } };
  return dispatch(channel, payload);
}
