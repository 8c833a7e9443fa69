import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

/**
 * A release folder over plain HTTP, for the netboot test (test/image-netboot.test.ts), run inside a network namespace:
 * `release-http-host.ts --dir DIR --host ADDR --port N [--flip NAME] [--override NAME=FILE]`.
 * `--flip NAME` serves NAME with one byte inverted in its middle (a tampered download, without copying hundreds of
 * MB); `--override NAME=FILE` serves FILE's bytes as NAME (a signature by another key). Prints one JSON line when
 * listening and one per request, which the test reads.
 */

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    flip: { type: 'string' },
    override: { type: 'string', multiple: true, default: [] },
  },
});
const dir = values.dir;
const host = values.host;
if (dir === undefined || host === undefined || values.port === undefined) throw new Error('--dir, --host and --port are required');
const overrides = new Map(values.override.map((o) => {
  const at = o.indexOf('=');
  return [o.slice(0, at), o.slice(at + 1)] as const;
}));

/** Inverts the byte at `offset` of the stream passing through. */
function flipAt(offset: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (offset >= seen && offset < seen + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[offset - seen] = (copy[offset - seen] ?? 0) ^ 0xff;
        chunk = copy;
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
}

const server = createServer((req, res) => {
  const name = basename(decodeURIComponent((req.url ?? '/').replace(/[?#].*$/, '')));
  const file = overrides.get(name) ?? join(dir, name);
  void (async () => {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      res.writeHead(404).end();
      console.log(JSON.stringify({ get: name, status: 404 }));
      return;
    }
    res.writeHead(200, { 'content-length': info.size, 'content-type': 'application/octet-stream' });
    const flipped = values.flip === name;
    const body = createReadStream(file);
    await (flipped ? pipeline(body, flipAt(Math.floor(info.size / 2)), res) : pipeline(body, res)).catch(() => undefined);
    console.log(JSON.stringify({ get: name, status: 200, bytes: info.size, flipped }));
  })();
});
server.listen(Number(values.port), host, () => console.log(JSON.stringify({ listening: `http://${host}:${values.port}/` })));
