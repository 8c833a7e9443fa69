import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writing secrets to disk: the file is created 0600 under a temporary name, synced, then renamed over the old one,
 * so a reader sees the old or the new file whole and never a half-written or world-readable one (plan §9.3).
 */

/** Makes `dir` (and parents) and forces its mode to 0700 whatever the umask or an earlier mode was. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Atomically replaces `path` with `content`, mode 0600. The folder must exist. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    // The umask cannot widen 0600, but an explicit chmod documents the intent and covers odd filesystems.
    await handle.chmod(0o600);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(temp, path);
  // The rename is durable only once the folder's entry is on disk.
  const dirHandle = await open(dirname(path), 'r');
  await dirHandle.sync().finally(() => dirHandle.close());
}
