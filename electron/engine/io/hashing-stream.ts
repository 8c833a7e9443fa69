import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through that computes SHA-256 and counts bytes as data flows, so no second pass over a file is needed. */
export class HashingStream extends Transform {
  private readonly hash: Hash;
  bytes = 0;

  /** `seed` lets a resumed download continue the hash of bytes already on disk. */
  constructor(seed?: Hash) {
    super();
    this.hash = seed ?? createHash('sha256');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** Hex digest; call once, after the stream has finished. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
