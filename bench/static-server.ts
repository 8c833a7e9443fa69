/** A plain static file server on 127.0.0.1 for the download benchmark, run as its own process: `static-server.ts DIR`. */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const dir = process.argv[2]!;
const server = createServer((req, res) => {
  const file = join(dir, (req.url ?? '/').replace(/^\/+/, '').replace(/\.\./g, ''));
  try {
    const size = statSync(file).size;
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
  } catch {
    res.writeHead(404).end();
  }
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`${address.port}\n`);
});
