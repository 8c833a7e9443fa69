import { appendFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beginGrowth, endGrowth, readGrowing } from './growing-file';
import { readFileStream } from './read-file';

describe('a file read while it grows', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-growing-'));
    path = join(dir, 'image.part');
    await writeFile(path, Buffer.from('head'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('waits at the current end for more bytes, and ends only where the downloader says', async () => {
    const growth = beginGrowth(path, 12);
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(16);
      expect(await readGrowing(handle, path, buffer, 0, 16, 0)).toBe(4);
      const waiting = readGrowing(handle, path, buffer, 4, 12, 4);
      let settled = false;
      void waiting.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 100));
      expect(settled).toBe(false);
      await appendFile(path, Buffer.from('-tail-12'));
      expect(await waiting).toBe(8);
      const atEnd = readGrowing(handle, path, buffer, 12, 4, 12);
      growth.finish(12);
      expect(await atEnd).toBe(0);
      expect(buffer.subarray(0, 12).toString()).toBe('head-tail-12');
    } finally {
      await handle.close();
      endGrowth(growth);
    }
  });

  it("fails a waiting read with the download's failure, never taking the current end for the image's", async () => {
    const growth = beginGrowth(path, undefined);
    const chunks: Buffer[] = [];
    const reading = (async () => {
      for await (const piece of readFileStream(path)) chunks.push(piece as Buffer);
    })();
    await new Promise((r) => setTimeout(r, 60));
    growth.fail(new Error('SHA-256 mismatch'));
    await expect(reading).rejects.toThrow('SHA-256 mismatch');
    expect(Buffer.concat(chunks).toString()).toBe('head');
    endGrowth(growth);
  });

  it('a file not registered as growing ends at its current end, as before', async () => {
    const handle = await open(path, 'r');
    try {
      expect(await readGrowing(handle, path, Buffer.alloc(8), 0, 8, 4)).toBe(0);
    } finally {
      await handle.close();
    }
  });
});
