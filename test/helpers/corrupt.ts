import { open } from 'node:fs/promises';
import { sh } from './loops';

/** Flips the byte at `offset` of `path` and flushes it out, past the page cache for a block device (a medium going bad). */
export async function corruptByte(path: string, offset: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await handle.write(byte, 0, 1, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (path.startsWith('/dev/')) await sh('blockdev', ['--flushbufs', path]);
}
