/**
 * A static file server on 127.0.0.1 that sends every body at a set rate, as a remote mirror over a link of that speed
 * would, for the streaming regime: `throttled-server.ts DIR BYTES_PER_SECOND`. Prints its port. Whole files only.
 */
import { open, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const dir = process.argv[2]!;
const rate = Number(process.argv[3]);
const PIECE = 256 << 10;

const server = createServer((req, res) => {
  void (async () => {
    const file = join(dir, (req.url ?? '/').replace(/^\/+/, '').replace(/\.\./g, ''));
    const size = await stat(file).then((s) => s.size, () => undefined);
    if (size === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    const handle = await open(file, 'r');
    const started = performance.now();
    try {
      for (let sent = 0; sent < size && !res.destroyed; ) {
        const buffer = Buffer.allocUnsafe(Math.min(PIECE, size - sent));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, sent);
        sent += bytesRead;
        if (!res.write(buffer.subarray(0, bytesRead))) await new Promise((ok) => res.once('drain', ok));
        // Paced against the start, so timer slack does not add up over the transfer.
        const due = started + (sent / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await delay(wait);
      }
      res.end();
    } finally {
      await handle.close();
    }
  })();
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`${address.port}\n`);
});
