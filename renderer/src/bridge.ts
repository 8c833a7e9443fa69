import { EVENTS_PATH, type IpcChannel, type IpcRequest, type IpcResponse, type MaculaBridge, ipcErrorSchema } from '../../shared/ipc-contract';
import { streamEvents } from './sse-client';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser shell. */
    macula?: MaculaBridge;
  }
}

/** An engine refusal as the UI handles it: the stable code and, for a seed, the form field at fault. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The browser shell's bridge: the same contract over HTTP to the local engine server, with the session token. */
function httpBridge(token: string): MaculaBridge {
  const headers = { 'content-type': 'application/json', 'x-macula-token': token };
  const listeners = new Set<(event: unknown) => void>();
  let stop: (() => void) | undefined;
  return {
    async invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>> {
      const res = await fetch(`./api/${encodeURIComponent(channel)}`, { method: 'POST', headers, body: JSON.stringify(request) });
      if (!res.ok) throw new EngineError(`engine refused the request: ${res.status} ${await res.text()}`, 'ERR_HTTP_STATUS');
      const body = (await res.json()) as { ok: boolean; value?: unknown; error?: unknown };
      if (!body.ok) {
        const error = ipcErrorSchema.parse(body.error);
        throw new EngineError(error.message, error.code, error.field);
      }
      return body.value as IpcResponse<C>;
    },
    // One stream per tab, opened with the first listener and closed with the last.
    onEvent(listener) {
      listeners.add(listener);
      stop ??= streamEvents(`.${EVENTS_PATH}`, headers, (data) => {
        let event: unknown;
        try {
          event = JSON.parse(data);
        } catch {
          return;
        }
        for (const l of listeners) l(event);
      });
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stop?.();
          stop = undefined;
        }
      };
    },
  };
}

/** The token arrives in the URL fragment (never sent to a server) and is kept for the tab's lifetime. */
function sessionToken(): string {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('macula-token', fromHash);
    history.replaceState(null, '', window.location.pathname);
    return fromHash;
  }
  return sessionStorage.getItem('macula-token') ?? '';
}

export function getBridge(): MaculaBridge {
  return window.macula ?? httpBridge(sessionToken());
}

/** A caught value as a sentence for the user. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
