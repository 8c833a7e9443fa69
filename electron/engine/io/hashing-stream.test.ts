import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingStream, type HashingStreamOptions } from './hashing-stream';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Pushes `data` in chunks of the given sizes (cycled), each chunk a view into `data`. */
function chunkedReader(data: Buffer, sizes: number[]): Readable {
  let at = 0;
  let i = 0;
  return new Readable({
    read() {
      if (at >= data.length) return void this.push(null);
      const n = Math.min(sizes[i++ % sizes.length]!, data.length - at);
      this.push(data.subarray(at, at + n));
      at += n;
    },
  });
}

async function hashThrough(data: Buffer, sizes: number[], options: HashingStreamOptions = {}): Promise<{ hex: string; bytes: number; out: number }> {
  const hasher = new HashingStream(options);
  let out = 0;
  await pipeline(chunkedReader(data, sizes), hasher, new Writable({ write: (c: Buffer, _e, done) => ((out += c.length), done()) }));
  return { hex: hasher.digest(), bytes: hasher.bytes, out };
}

describe.each([
  ['on a worker thread', false],
  ['inline', true],
])('HashingStream %s', (_where, inline) => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-hash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes bytes through and hashes them, whatever the chunking', async () => {
    const data = randomBytes((5 << 20) + 12345);
    const result = await hashThrough(data, [1, 65536, 1 << 20, 3 << 20, 777], { inline });
    expect(result).toEqual({ hex: sha256(data), bytes: data.length, out: data.length });
  });

  it('survives one chunk far larger than its queue (backpressure, no deadlock)', async () => {
    const data = randomBytes(24 << 20);
    expect((await hashThrough(data, [24 << 20], { inline })).hex).toBe(sha256(data));
  });

  it('continues the hash of a file prefix (a resumed download)', async () => {
    const data = randomBytes(3 << 20);
    const part = join(dir, `part-${inline}`);
    const cut = (1 << 20) + 5;
    await writeFile(part, data.subarray(0, cut));
    const result = await hashThrough(data.subarray(cut), [65536], { inline, seed: { path: part, length: cut } });
    expect(result.hex).toBe(sha256(data));
  });

  it('hashes an empty stream', async () => {
    expect((await hashThrough(Buffer.alloc(0), [1], { inline })).hex).toBe(sha256(Buffer.alloc(0)));
  });

  it('has no digest before it finished', () => {
    expect(() => new HashingStream({ inline }).digest()).toThrow(/before the stream finished/);
  });
});
