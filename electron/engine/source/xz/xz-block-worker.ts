/**
 * Worker thread of one xz lane (xz-worker-lane): decodes Block after Block, a piece at a time into the shared slab, with
 * liblzma and file reads both on this thread. On the libuv threadpool instead, decoding would queue behind the flash's
 * own writes (measured: a 512 MiB .xz flash went from two cores to one).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { isMaculaError } from '../../../../shared/errors';
import { ioError } from '../archive-error';
import { READ_CHUNK } from '../read-file';
import { LzmaDecoder, LzmaError } from './lzma-decoder';
import type { XzLaneReply, XzLaneRequest } from './xz-block-protocol';
import { type XzBlockKit, XzBlockReader } from './xz-block-reader';

const port = parentPort;
if (!port) throw new Error('xz-block-worker must run in a worker thread');

let fd: number | undefined;
let slab: SharedArrayBuffer | undefined;
let kit: XzBlockKit | undefined;
let reader: XzBlockReader | undefined;
/** Why the file could not be opened: reported by the first fill, the first request that has a reply. */
let broken: unknown;

function open(path: string): XzBlockKit {
  const handle = openSync(path, 'r');
  fd = handle;
  // Synchronous on purpose: this thread has nothing else to do, and the threadpool is busy with the writes.
  const readAt = (into: Buffer, length: number, position: number): Promise<number> => {
    try {
      return Promise.resolve(readSync(handle, into, 0, length, position));
    } catch (err) {
      return Promise.reject(ioError(path, err));
    }
  };
  return { path, decoder: new LzmaDecoder('this thread'), input: Buffer.allocUnsafe(READ_CHUNK), readAt };
}

function errorReply(err: unknown): XzLaneReply {
  const message = err instanceof Error ? err.message : String(err);
  if (isMaculaError(err)) return { kind: 'error', message, code: err.code };
  if (err instanceof LzmaError) return { kind: 'error', message, lzmaRet: err.ret };
  return { kind: 'error', message };
}

/** Every step of a fill settles in microtasks (the file and liblzma calls are synchronous): one message at a time. */
async function handle(request: XzLaneRequest): Promise<XzLaneReply | undefined> {
  switch (request.kind) {
    case 'open':
      slab = request.slab;
      try {
        kit = open(request.path);
      } catch (err) {
        broken = ioError(request.path, err);
      }
      return undefined;
    case 'block':
      if (kit) reader = new XzBlockReader(kit, request.block);
      return undefined;
    case 'fill': {
      if (broken !== undefined) throw broken;
      if (!reader || !slab) throw new Error('no Block begun');
      const length = await reader.readInto(Buffer.from(slab, request.offset, request.length));
      return { kind: 'filled', length, done: reader.done };
    }
    case 'stop':
      kit?.decoder.close();
      if (fd !== undefined) closeSync(fd);
      port?.close();
      return undefined;
  }
}

port.on('message', (request: XzLaneRequest) => {
  handle(request).then(
    (reply) => reply && port.postMessage(reply),
    (err: unknown) => port.postMessage(errorReply(err)),
  );
});
