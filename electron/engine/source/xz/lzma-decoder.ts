import { Unxz } from 'node-liblzma';

/** lzma_action LZMA_RUN (liblzma lzma/base.h): decode what is given, more input may follow. */
const LZMA_RUN = 0;
/** lzma_ret values (liblzma lzma/base.h). */
const LZMA_OK = 0;
const LZMA_MEM_ERROR = 5;
const LZMA_MEMLIMIT_ERROR = 6;

/** liblzma's own wording for each lzma_ret (lzma/base.h), indexed by value. */
const MESSAGES = [
  'ok',
  'end of stream',
  'no integrity check',
  'cannot calculate the integrity check',
  'integrity check type is available',
  'cannot allocate memory',
  'memory usage limit reached',
  'file format not recognized',
  'invalid or unsupported options',
  'data is corrupt',
  'no progress is possible',
  'programming error',
] as const;

/** A failure reported by liblzma: `memory` when it ran out of memory (not bad data). */
export class LzmaError extends Error {
  override readonly name = 'LzmaError';
  readonly memory: boolean;

  constructor(readonly ret: number) {
    super(MESSAGES[ret] ?? `liblzma error ${ret}`);
    this.memory = ret === LZMA_MEM_ERROR || ret === LZMA_MEMLIMIT_ERROR;
  }
}

/** The part of node-liblzma's native coder used here: lzma_code (on the libuv threadpool, or on this thread), lzma_end. */
interface NativeCoder {
  code(
    action: number,
    input: Buffer,
    inputOffset: number,
    inputLength: number,
    output: Buffer,
    outputOffset: number,
    done: (ret: number, inputLeft: number, outputLeft: number) => boolean,
  ): void;
  codeSync(action: number, input: Buffer, inputOffset: number, inputLength: number, output: Buffer, outputOffset: number): [number, number, number];
  close(): void;
}

function isNativeCoder(value: unknown): value is NativeCoder {
  const coder = value as Partial<Record<keyof NativeCoder, unknown>> | null;
  return typeof coder === 'object' && coder !== null && [coder.code, coder.codeSync, coder.close].every((f) => typeof f === 'function');
}

/**
 * The native coder inside a node-liblzma Unxz stream (its `lzma` member, not in the package's typings). The stream
 * itself is never written to: its Transform decodes a whole written chunk whatever its reader's pace, and one chunk of a
 * zero run holds gigabytes. Driving the coder directly bounds every step by the output buffer given.
 */
function nativeCoder(stream: Unxz): NativeCoder {
  const coder: unknown = Reflect.get(stream, 'lzma');
  if (!isNativeCoder(coder)) throw new Error('node-liblzma has no native coder where expected (a changed version?)');
  return coder;
}

/** What one lzma_code call left over. */
export interface LzmaStep {
  readonly inputLeft: number;
  readonly outputLeft: number;
}

/**
 * A liblzma .xz decoder (lzma_stream_decoder with LZMA_CONCATENATED, so one decoder, its dictionary allocated once,
 * decodes Stream after Stream). `threadpool`: each `code` call runs on the libuv threadpool; otherwise on the calling
 * thread (a worker's), the promise already settled when `code` returns.
 */
export class LzmaDecoder {
  private readonly stream = new Unxz({ chunkSize: 1 }); // its own output buffer goes unused
  private readonly coder = nativeCoder(this.stream);
  private closed = false;

  constructor(private readonly where: 'threadpool' | 'this thread') {}

  /** Decodes `input` into all of `output`, stopping when either is used up; errors reject with an LzmaError. */
  code(input: Buffer, inputOffset: number, inputLength: number, output: Buffer): Promise<LzmaStep> {
    if (this.closed) return Promise.reject(new Error('the xz decoder was closed'));
    if (this.where === 'this thread') {
      const [ret, inputLeft, outputLeft] = this.coder.codeSync(LZMA_RUN, input, inputOffset, inputLength, output, 0);
      return ret === LZMA_OK ? Promise.resolve({ inputLeft, outputLeft }) : Promise.reject(new LzmaError(ret));
    }
    return new Promise((resolve, reject) => {
      this.coder.code(LZMA_RUN, input, inputOffset, inputLength, output, 0, (ret, inputLeft, outputLeft) => {
        if (ret === LZMA_OK) resolve({ inputLeft, outputLeft });
        else reject(new LzmaError(ret));
        return false;
      });
    });
  }

  /** Frees the decoder (lzma_end); while a `code` call is running, once it is done. */
  close(): void {
    this.closed = true;
    this.stream.close();
  }
}
