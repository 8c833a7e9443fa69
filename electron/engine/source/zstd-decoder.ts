import { createRequire } from 'node:module';
import { open, type FileHandle } from 'node:fs/promises';
import type * as ZstdBinding from 'zstd-napi/binding';
import { MaculaError } from '../../../shared/errors';
import { abortedError, archiveError, ioError } from './archive-error';
import { readGrowing } from './growing-file';
import type { ImageReader } from './image-reader';
import { READ_CHUNK } from './read-file';

/**
 * zstd-napi's low-level binding (its documented `binding` module), through require: the package has no `exports` map,
 * and the module is a `.node` addon behind a CommonJS shim whose names Node's ESM loader cannot see.
 */
const zstd = createRequire(import.meta.url)('zstd-napi/binding') as typeof ZstdBinding;

/** Accept windows up to 2 GiB so `zstd --long=31` images decode (RFC 8878 §3.1.1.1.2 Window_Descriptor). */
const WINDOW_LOG_MAX = 31;

/**
 * The decoded bytes of a zstd file (RFC 8878; concatenated and skippable frames included), decoded on demand into the
 * reader's buffer (ZSTD_decompressStream), the file read 1 MiB at a time as the decoder needs it. zstd-napi's
 * DecompressStream instead decodes a whole written chunk whatever its reader's pace, and one 1 MiB chunk of a zero run
 * holds gigabytes; here memory stays at the decoder's window and two read buffers.
 */
export class ZstdDecoder implements ImageReader {
  private readonly dctx = new zstd.DCtx();
  private readonly opening: Promise<FileHandle>;
  private file: FileHandle | undefined;
  /**
   * Two read buffers in turn: the file is read into one while the decoder works on the other, and a buffer is refilled
   * only once the decoder has consumed all of it (it copies what it keeps between calls).
   */
  private readonly buffers = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)] as const;
  private turn = 0;
  private next: Promise<Buffer> | undefined;
  private input: Buffer = Buffer.alloc(0);
  private position = 0;
  private eof = false;
  /** Within a frame: the last call left bytes to flush, or it needs more input to finish the frame. */
  private inFrame = false;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly signal?: AbortSignal,
  ) {
    this.dctx.setParameter(zstd.DParameter.windowLogMax, WINDOW_LOG_MAX);
    this.opening = open(path, 'r').catch((err: unknown) => {
      throw ioError(path, err);
    });
    // Closed here if the reader was closed first. A failure is reported by read.
    this.opening.then(
      (file) => void (this.closed ? file.close().catch(() => undefined) : (this.file = file)),
      () => undefined,
    );
  }

  async read(into: Buffer): Promise<number> {
    this.file ??= await this.opening;
    let filled = 0;
    try {
      while (filled < into.length) {
        if (this.signal?.aborted) throw abortedError(this.path);
        if (this.closed) throw new MaculaError('ERR_IO', `reading ${this.path} was stopped`, { path: this.path });
        if (this.input.length === 0 && !this.eof) await this.refill();
        if (this.input.length === 0 && !this.inFrame) break;
        const [left, produced, consumed] = this.dctx.decompressStream(into.subarray(filled), this.input);
        this.input = this.input.subarray(consumed);
        this.inFrame = left !== 0;
        filled += produced;
        // Nothing out although the frame wants more, and no input left: the file was cut short.
        if (produced === 0 && this.input.length === 0 && this.eof && this.inFrame) {
          throw new Error('Stream ended in middle of compressed data frame');
        }
      }
    } catch (err) {
      throw archiveError('zstd', this.path, err, this.eof && this.inFrame);
    }
    return filled;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.next?.catch(() => undefined);
    await this.file?.close().catch(() => undefined);
  }

  /** Takes the read ahead (or reads now) and starts reading the next slice of the file into the other buffer. */
  private async refill(): Promise<void> {
    this.input = await (this.next ?? this.readNext());
    this.eof = this.input.length === 0;
    this.next = this.eof ? undefined : this.readNext();
    // Settled by the next refill or by close: never an unhandled rejection meanwhile.
    this.next?.catch(() => undefined);
  }

  private async readNext(): Promise<Buffer> {
    const file = this.file;
    if (!file) throw new Error('file closed');
    const buffer = this.buffers[this.turn]!;
    this.turn ^= 1;
    // A file still being downloaded is decoded as it grows (growing-file.ts).
    const bytesRead = await readGrowing(file, this.path, buffer, 0, READ_CHUNK, this.position).catch((err: unknown) => {
      throw ioError(this.path, err);
    });
    this.position += bytesRead;
    return buffer.subarray(0, bytesRead);
  }
}
