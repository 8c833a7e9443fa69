import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CHUNK, type Chunk } from './aligned-chunks';
import type { OpenedTarget } from './open-target';
import { TargetWriter } from './target-writer';

function chunk(index: number, length = CHUNK): Chunk & { released: number } {
  const c = {
    index,
    offset: index * CHUNK,
    buffer: Buffer.alloc(CHUNK),
    length,
    released: 0,
    share: () => undefined,
    release: () => void c.released++,
  };
  return c;
}

/** A target whose writes fail with the errno codes in `script` (in order), then succeed. */
function scriptedTarget(script: string[]): { target: OpenedTarget; writes: number[] } {
  const writes: number[] = [];
  const handle = {
    write: async (_b: Buffer, _o: number, length: number, position: number) => {
      writes.push(position);
      const code = script.shift();
      if (code !== undefined) throw Object.assign(new Error(code), { code });
      return { bytesWritten: length };
    },
  };
  return { target: { path: '/dev/fake', kind: 'block', handle: handle as unknown as FileHandle, direct: true, sectorSize: 512 }, writes };
}

describe('TargetWriter retries', () => {
  it('retries EIO/EBUSY/EAGAIN with 100, 400, 1600 ms backoff and then succeeds', async () => {
    const { target, writes } = scriptedTarget(['EIO', 'EBUSY', 'EAGAIN']);
    const delays: number[] = [];
    const writer = new TargetWriter(target, { maxInFlight: 4, onWritten: () => undefined, sleep: async (ms) => void delays.push(ms) });
    const c = chunk(1);
    writer.submit(c);
    await writer.drained();
    expect(writer.failure).toBeUndefined();
    expect(delays).toEqual([100, 400, 1600]);
    expect(writes).toEqual([CHUNK, CHUNK, CHUNK, CHUNK]);
    expect(c.released).toBe(1);
  });

  it('gives up after three retries: ERR_DEVICE_FAILING naming the offset; queued chunks are released', async () => {
    const { target } = scriptedTarget(['EIO', 'EIO', 'EIO', 'EIO']);
    const writer = new TargetWriter(target, { maxInFlight: 1, onWritten: () => undefined, sleep: async () => undefined });
    const chunks = [chunk(2), chunk(3), chunk(4)];
    for (const c of chunks) writer.submit(c);
    await writer.drained();
    expect(writer.failure).toMatchObject({ code: 'ERR_DEVICE_FAILING', details: { offset: 2 * CHUNK } });
    expect(writer.failure?.message).toContain(`device unplugged or failing at offset ${2 * CHUNK}`);
    expect(chunks.map((c) => c.released)).toEqual([1, 1, 1]);
  });

  it('does not retry ENOSPC or EPERM', async () => {
    for (const [errno, code] of [['ENOSPC', 'ERR_NO_SPACE'], ['EPERM', 'ERR_TARGET_READ_ONLY']] as const) {
      const { target, writes } = scriptedTarget([errno]);
      const writer = new TargetWriter(target, { maxInFlight: 4, onWritten: () => undefined, sleep: async () => undefined });
      writer.submit(chunk(1));
      await writer.drained();
      expect(writer.failure?.code).toBe(code);
      expect(writes).toHaveLength(1);
    }
  });

  it('keeps the failure at the lowest offset when a later write fails first', async () => {
    let releaseFirst: () => void = () => undefined;
    const handle = {
      write: async (_b: Buffer, _o: number, _l: number, position: number) => {
        if (position === CHUNK) await new Promise<void>((r) => (releaseFirst = r));
        throw Object.assign(new Error('no room'), { code: 'ENOSPC' });
      },
    };
    const target: OpenedTarget = { path: '/dev/fake', kind: 'block', handle: handle as unknown as FileHandle, direct: true, sectorSize: 512 };
    const writer = new TargetWriter(target, { maxInFlight: 4, onWritten: () => undefined });
    writer.submit(chunk(1));
    writer.submit(chunk(2));
    await new Promise((r) => setTimeout(r, 10));
    expect(writer.failure?.details.offset).toBe(2 * CHUNK);
    releaseFirst();
    await writer.drained();
    expect(writer.failure).toMatchObject({ code: 'ERR_NO_SPACE', details: { offset: CHUNK } });
  });
});
