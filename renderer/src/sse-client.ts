/**
 * A Server-Sent Events reader over fetch (HTML Living Standard §9.2 framing: events end at a blank line, `data:` lines
 * join with "\n", lines starting with ":" are comments). fetch rather than EventSource because EventSource can neither
 * POST nor send the session token header, and every API request of the browser shell must do both.
 */
export function parseSseChunk(buffer: string): { events: string[]; rest: string } {
  const events: string[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) events.push(data.join('\n'));
  }
  return { events, rest };
}

/** Reconnect delays: quick at first (a restarted engine), then every few seconds. */
const RETRY_MS = [250, 1000, 3000];

/** Streams events from `url` to `onData` (one JSON text per event) until the returned stop is called; reconnects. */
export function streamEvents(url: string, headers: Record<string, string>, onData: (data: string) => void): () => void {
  const controller = new AbortController();
  void (async () => {
    for (let attempt = 0; !controller.signal.aborted; attempt++) {
      try {
        const res = await fetch(url, { method: 'POST', headers, body: '{}', signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`event stream refused: ${res.status}`);
        attempt = 0;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseSseChunk(buffer + value);
          buffer = parsed.rest;
          parsed.events.forEach(onData);
        }
      } catch {
        // Dropped or refused: wait and try again, unless stopped.
      }
      if (controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
    }
  })();
  return () => controller.abort();
}
