import { type IpcChannel, type IpcRequest, type IpcResponse, type MaculaBridge, ipcErrorSchema } from '../../shared/ipc-contract';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser shell. */
    macula?: MaculaBridge;
  }
}

/** The browser shell's bridge: the same contract over HTTP to the local engine server, with the session token. */
function httpBridge(token: string): MaculaBridge {
  return {
    async invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>> {
      const res = await fetch(`./api/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-macula-token': token },
        body: JSON.stringify(request),
      });
      if (!res.ok) throw new Error(`engine refused the request: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { ok: boolean; value?: unknown; error?: unknown };
      if (!body.ok) throw new Error(ipcErrorSchema.parse(body.error).message);
      return body.value as IpcResponse<C>;
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
