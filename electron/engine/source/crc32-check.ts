import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';

/**
 * Pass-through that checks the CRC-32 a zip entry records (APPNOTE 6.3.10 §4.4.7) once the data ends;
 * yauzl does not check it, and stored (uncompressed) entries have no other integrity check.
 */
export class Crc32Check extends Transform {
  private crc = 0;

  constructor(private readonly expected: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.crc >>> 0;
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    done(actual === this.expected >>> 0 ? null : new Error(`CRC-32 mismatch: entry records ${hex(this.expected)}, data gives ${hex(actual)}`));
  }
}
