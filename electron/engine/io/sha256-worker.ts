/** Worker thread of HashingStream: SHA-256 of a seed file prefix, then of every batch, on its own core. */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { HashReply, HashRequest } from './sha256-protocol';

const port = parentPort;
if (!port) throw new Error('sha256-worker must run in a worker thread');

const hash = createHash('sha256');
const reply = (message: HashReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

/** Hashes bytes [0, length) of `path`; synchronous reads are fine here, off the main thread. */
function hashFilePrefix(path: string, length: number): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), done);
      if (n === 0) throw new Error(`${path} is shorter than ${length} bytes`);
      hash.update(buf.subarray(0, n));
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

port.on('message', (message: HashRequest) => {
  try {
    switch (message.kind) {
      case 'seed':
        hashFilePrefix(message.path, message.length);
        break;
      case 'batch':
        hash.update(message.bytes);
        reply({ kind: 'ack', bytes: message.bytes }, [message.bytes.buffer as ArrayBuffer]);
        break;
      case 'end':
        reply({ kind: 'digest', hex: hash.digest('hex') });
        break;
    }
  } catch (e) {
    reply({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
