import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { MaculaError } from '../../../shared/errors';

/**
 * The writer protocol sealed for a relay that other local accounts could open first (Windows named pipes, whose
 * default DACL Node cannot change: docs/flashing.md, "Windows"). The app makes a fresh 256-bit key per flash and
 * hands it to the writer on the elevated command line (which another account cannot read); every line each way is
 * AES-256-GCM with a fresh 96-bit nonce, its direction and its number in the additional data. Whoever reaches a pipe
 * first reads nothing (seeds and their secrets included) and can neither forge, replay, reorder nor drop a line
 * unnoticed: the first bad line ends the plain stream there, and `refused` says why.
 */

/** Which way a line travels: part of what is authenticated, so a line cannot be reflected back. */
export type SealedDirection = 'request' | 'event';

const NONCE = 12;
const TAG = 16;

function keyBytes(hex: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new MaculaError('ERR_USAGE', 'the relay key must be 64 hex digits');
  return Buffer.from(hex, 'hex');
}

function additionalData(direction: SealedDirection, counter: bigint): Buffer {
  const data = Buffer.alloc(8 + direction.length);
  data.writeBigUInt64BE(counter);
  data.write(direction, 8, 'ascii');
  return data;
}

/**
 * Splits a byte stream into lines and hands each (without its newline) to `line`. A line it throws for ends the
 * output there (a clean end, so line readers finish) and is remembered in `refused`; the rest of the input is dropped.
 */
abstract class LineTransform extends Transform {
  private pending = '';
  /** Why the stream ended early, if it did. */
  refused: MaculaError | undefined;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.refused) return done();
    const lines = (this.pending + chunk.toString()).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) if (line !== '' && !this.convert(line)) break;
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending !== '' && !this.refused) this.convert(this.pending);
    done();
  }

  private convert(text: string): boolean {
    try {
      this.push(`${this.line(text)}\n`);
      return true;
    } catch (err) {
      this.refused = err instanceof MaculaError ? err : new MaculaError('ERR_USAGE', String(err));
      this.push(null);
      return false;
    }
  }

  protected abstract line(text: string): string;
}

/** A line transform with this flash's key, one direction, and the number of the next line. */
abstract class KeyedLines extends LineTransform {
  protected counter = 0n;
  protected readonly key: Buffer;

  constructor(
    keyHex: string,
    protected readonly direction: SealedDirection,
  ) {
    super();
    this.key = keyBytes(keyHex);
  }
}

/** Plain lines in, sealed lines out (base64 of nonce ‖ ciphertext ‖ tag). */
export class SealLines extends KeyedLines {
  protected line(text: string): string {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(additionalData(this.direction, this.counter++));
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }
}

/** Sealed lines in, plain lines out; a line that does not open (forged, replayed, out of order) ends the stream. */
export class OpenLines extends KeyedLines {
  protected line(text: string): string {
    const sealed = Buffer.from(text, 'base64');
    if (sealed.length < NONCE + TAG) throw new MaculaError('ERR_USAGE', `writer relay: line ${this.counter} is not sealed`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE));
      decipher.setAAD(additionalData(this.direction, this.counter));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      const plain = Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()]).toString('utf8');
      this.counter++;
      return plain;
    } catch {
      throw new MaculaError('ERR_USAGE', `writer relay: line ${this.counter} failed authentication (not sealed with this flash's key, or out of order)`);
    }
  }
}
