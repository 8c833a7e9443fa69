/**
 * Worker thread: decodes one standalone single-Block .xz Stream per task with liblzma (node-liblzma, synchronously on
 * this thread, so several workers decode on several cores) and returns the bytes. Started by xz-worker-pool.
 */
import { parentPort } from 'node:worker_threads';
import { unxzSync } from 'node-liblzma';
import type { XzBlockResult, XzBlockTask } from './xz-block-protocol';

function decode(task: XzBlockTask): Uint8Array {
  const out = unxzSync(Buffer.from(task.stream.buffer, task.stream.byteOffset, task.stream.byteLength));
  // The Block's size must match its Index Record (xz file format 1.0.4 §4.3.2); liblzma alone does not catch a short one.
  if (out.length !== task.uncompressedSize) {
    throw new Error(`block decoded to ${out.length} bytes, index says ${task.uncompressedSize}`);
  }
  // Transfer needs a buffer of our own: a Buffer may be a view into a larger pooled one.
  if (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength) return out;
  return new Uint8Array(out);
}

const port = parentPort;
if (!port) throw new Error('xz-block-worker must run in a worker thread');

port.on('message', (task: XzBlockTask) => {
  let result: XzBlockResult;
  try {
    const data = decode(task);
    port.postMessage({ id: task.id, ok: true, data } satisfies XzBlockResult, [data.buffer as ArrayBuffer]);
    return;
  } catch (err) {
    result = { id: task.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(result);
});
