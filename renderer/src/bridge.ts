import type { ReportedErrorCode } from '../../shared/errors';
import type { IpcErrorDetails } from '../../shared/ipc-error';
import {
  EVENTS_PATH,
  type IpcChannel,
  type IpcError,
  type IpcRequest,
  type IpcResponse,
  type IpcResult,
  type MaculaBridge,
  ipcResultSchema,
} from '../../shared/ipc-contract';
import { streamEvents } from './sse-client';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser shell. */
    macula?: MaculaBridge;
  }
}

/** An engine refusal as the UI handles it: the stable code, the form field at fault (a seed's) and what differed. */
export class EngineError extends Error {
  readonly code: ReportedErrorCode;
  readonly field: string | undefined;
  readonly details: IpcErrorDetails;

  constructor(error: IpcError) {
    super(error.message);
    this.code = error.code;
    this.field = error.field;
    this.details = error.details ?? {};
  }
}

/** The engine as the renderer calls it: a refusal rejects with an EngineError, whichever transport carried it. */
export interface EngineClient {
  invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>>;
  onEvent: MaculaBridge['onEvent'];
  readonly pathForFile?: MaculaBridge['pathForFile'];
}

/**
 * The one place an answer becomes a value or an EngineError, for both transports (the preload's envelope, the browser
 * shell's body). The envelope crossed a process boundary, so it is checked against its schema first.
 */
function settle<C extends IpcChannel>(channel: C, answer: unknown): IpcResponse<C> {
  const parsed = ipcResultSchema.safeParse(answer);
  if (!parsed.success) throw new EngineError({ code: 'ERR_INTERNAL', message: `the engine's answer to ${channel} is malformed: ${parsed.error.message}` });
  if (!parsed.data.ok) throw new EngineError(parsed.data.error);
  return parsed.data.value as IpcResponse<C>;
}

/** The browser shell's transport: the same contract over HTTP to the local engine server, with the session token. */
function httpBridge(token: string): MaculaBridge {
  const headers = { 'content-type': 'application/json', 'x-macula-token': token };
  const listeners = new Set<(event: unknown) => void>();
  let stop: (() => void) | undefined;
  return {
    async invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResult<C>> {
      const res = await fetch(`./api/${encodeURIComponent(channel)}`, { method: 'POST', headers, body: JSON.stringify(request) });
      // The server's gate (Host, Origin, token) answers in plain text: reported like any refusal, with its status.
      if (!res.ok) {
        const error: IpcError = { code: 'ERR_HTTP_STATUS', message: `engine refused the request: ${res.status} ${await res.text()}`, details: { status: res.status } };
        return { ok: false, error };
      }
      // Unchecked here: settle() checks every envelope, whichever transport brought it.
      return (await res.json()) as IpcResult<C>;
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

/** The renderer's client over a transport: every answer goes through `settle`. */
export function engineClient(transport: MaculaBridge): EngineClient {
  return {
    invoke: async <C extends IpcChannel>(channel: C, request: IpcRequest<C>) => settle(channel, await transport.invoke(channel, request)),
    onEvent: (listener) => transport.onEvent(listener),
    ...(transport.pathForFile ? { pathForFile: transport.pathForFile } : {}),
  };
}

export function getBridge(): EngineClient {
  return engineClient(window.macula ?? httpBridge(sessionToken()));
}

/** A caught value as a sentence for the user. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
