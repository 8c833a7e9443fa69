import { open } from 'node:fs/promises';
import { ioError } from '../archive-error';
import { READ_CHUNK } from '../read-file';
import { LzmaDecoder } from './lzma-decoder';
import { type XzBlockKit, XzBlockReader } from './xz-block-reader';
import type { XzBlock } from './xz-index';
import type { XzFill, XzLane } from './xz-lane';

/**
 * A lane on the libuv threadpool. It shares that pool with every file read and write, so a flash that keeps it busy
 * with writes holds decoding back: for the ordered decoder (XzParallelDecoder) the fallback where no worker thread can
 * start; the placed decoder (XzPlacedDecoder) uses it for its memory, and keeps the writes to what the pool has room for.
 */
export class XzInlineLane implements XzLane {
  private readonly file;
  private readonly kit: XzBlockKit;
  private reader: XzBlockReader | undefined;

  constructor(path: string) {
    const file = open(path, 'r');
    file.catch(() => undefined); // reported by the first read
    this.file = file;
    const readAt = async (into: Buffer, length: number, position: number): Promise<number> => {
      try {
        return (await (await file).read(into, 0, length, position)).bytesRead;
      } catch (err) {
        throw ioError(path, err);
      }
    };
    this.kit = { path, decoder: new LzmaDecoder('threadpool'), input: Buffer.allocUnsafe(READ_CHUNK), readAt };
  }

  begin(block: XzBlock): void {
    this.reader = new XzBlockReader(this.kit, block);
  }

  async fill(out: Buffer): Promise<XzFill> {
    const reader = this.reader;
    if (!reader) throw new Error('no Block begun');
    const length = await reader.readInto(out);
    return { length, done: reader.done };
  }

  async close(): Promise<void> {
    this.kit.decoder.close();
    await this.file.then((fh) => fh.close()).catch(() => undefined);
  }
}
