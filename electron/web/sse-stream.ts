import type { ServerResponse } from 'node:http';
import type { EngineEvent } from '../../shared/ipc-events';

/** Comment lines keep idle connections open through proxies and let the client notice a dead server. */
const HEARTBEAT_MS = 15_000;

/**
 * Streams engine events to one browser-shell tab as Server-Sent Events (HTML Living Standard §9.2, `text/event-stream`):
 * one `data:` line of JSON per event. Returns the function that ends the stream.
 */
export function openEventStream(res: ServerResponse, subscribe: (listener: (e: EngineEvent) => void) => () => void, headers: Record<string, string>): () => void {
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  // A first comment flushes the headers, so the client knows it is subscribed before any event happens.
  res.write(': subscribed\n\n');
  const unsubscribe = subscribe((event) => void res.write(`data: ${JSON.stringify(event)}\n\n`));
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const end = (): void => {
    clearInterval(heartbeat);
    unsubscribe();
    if (!res.writableEnded) res.end();
  };
  res.on('close', end);
  return end;
}
