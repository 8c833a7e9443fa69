import { MaculaError } from '../../../../shared/errors';
import type { LzmaDecoder, LzmaStep } from './lzma-decoder';
import { padTo4, singleBlockTrailer } from './xz-format';
import type { XzBlock } from './xz-index';

/** What decodes Block after Block: a liblzma decoder, a buffer to read compressed bytes into, and how to read them. */
export interface XzBlockKit {
  readonly path: string;
  readonly decoder: LzmaDecoder;
  /** Compressed bytes are read into it a slice at a time; reused once the decoder has consumed it all. */
  readonly input: Buffer;
  /** Reads `length` bytes of the file at `position` into the start of `into`; resolves with how many it read. */
  readonly readAt: (into: Buffer, length: number, position: number) => Promise<number>;
}

/**
 * Decodes one Block of an .xz file piece by piece. The decoder is fed the Block as a standalone single-Block Stream
 * (xz file format 1.0.4 §2.1): the Stream Header of its Stream, the Block as it is in the file (read a slice at a
 * time, as the decoder asks for more), and an Index + Stream Footer made for it (xz-format.ts), so liblzma checks the
 * Block's integrity check and its sizes against the Index. The Block ends when every byte of that Stream is consumed.
 */
export class XzBlockReader {
  /** Decoded bytes written out so far. */
  produced = 0;
  /** Every byte of the Block's Stream decoded and checked: no more pieces. */
  done = false;
  /** What `nextInput` feeds next. */
  private phase: 'header' | 'body' | 'trailer' | 'end' = 'header';
  /** File bytes of the Block (Block Padding included, §3.3) not read yet. */
  private bodyLeft: number;
  private bodyAt: number;
  private input: Buffer = Buffer.alloc(0);
  private inputAt = 0;
  private inputLeft = 0;

  constructor(
    private readonly kit: XzBlockKit,
    readonly block: XzBlock,
  ) {
    this.bodyLeft = padTo4(block.unpaddedSize);
    this.bodyAt = block.offset;
  }

  /**
   * Decodes the Block's next bytes into `out` until it is full or the Block ends; resolves with how many. The call that
   * completes the Block also consumes the rest of its Stream, so `done` is known without another call.
   */
  async readInto(out: Buffer): Promise<number> {
    const want = Math.min(out.length, this.block.uncompressedSize - this.produced);
    let written = 0;
    while (written < want) {
      if (this.inputLeft === 0 && !(await this.nextInput())) throw this.sizeError(this.produced + written);
      const step = await this.decode(out.subarray(written, want));
      written = want - step.outputLeft;
    }
    this.produced += written;
    if (this.produced === this.block.uncompressedSize && !this.done) await this.finish();
    return written;
  }

  /** Feeds the rest of the Stream (the end of the Block, its Index and Footer): liblzma checks them as it goes. */
  private async finish(): Promise<void> {
    // Nothing may come out: a Block longer than its Index says is an error (liblzma's, or this check).
    const spill = Buffer.allocUnsafe(64);
    while (this.inputLeft > 0 || (await this.nextInput())) {
      const step = await this.decode(spill);
      if (step.outputLeft !== spill.length) throw this.sizeError(this.produced + spill.length - step.outputLeft);
    }
    this.done = true;
  }

  private async decode(output: Buffer): Promise<LzmaStep> {
    const step = await this.kit.decoder.code(this.input, this.inputAt, this.inputLeft, output);
    this.inputAt += this.inputLeft - step.inputLeft;
    this.inputLeft = step.inputLeft;
    return step;
  }

  /** Makes the next input slice current; false when the whole Stream has been fed. */
  private async nextInput(): Promise<boolean> {
    const { block, kit } = this;
    switch (this.phase) {
      case 'header':
        this.setInput(Buffer.from(block.streamHeader), 'body');
        return true;
      case 'body': {
        const length = Math.min(this.bodyLeft, kit.input.length);
        if ((await kit.readAt(kit.input, length, this.bodyAt)) !== length) {
          throw new MaculaError('ERR_ARCHIVE_TRUNCATED', `xz data in ${kit.path} ends early`, { path: kit.path });
        }
        this.bodyAt += length;
        this.bodyLeft -= length;
        this.setInput(kit.input.subarray(0, length), this.bodyLeft > 0 ? 'body' : 'trailer');
        return true;
      }
      case 'trailer':
        this.setInput(Buffer.from(singleBlockTrailer(block.streamHeader.subarray(6, 8), block.unpaddedSize, block.uncompressedSize)), 'end');
        return true;
      case 'end':
        return false;
    }
  }

  private setInput(input: Buffer, then: XzBlockReader['phase']): void {
    this.input = input;
    this.inputAt = 0;
    this.inputLeft = input.length;
    this.phase = then;
  }

  private sizeError(actual: number): Error {
    return new Error(`block decoded to ${actual} bytes, index says ${this.block.uncompressedSize}`);
  }
}
