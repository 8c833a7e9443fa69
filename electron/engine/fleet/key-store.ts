import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MaculaError } from '../../../shared/errors';
import { nodeIdSchema, pairingKeySchema } from '../../../shared/fleet/seed-formats';

/**
 * Pairing keys, one file per node (`keys/NODE_ID.key`), mode 0600 in a 0700 directory — not encrypted, and not in
 * the database. Encryption at rest would need a key kept somewhere: the OS keychain only exists in the Electron app
 * (safeStorage), never in the CLI or CI, and a key file beside the data protects nothing. File permissions are the
 * model of ~/.ssh and of the seed itself (0600 on the stick, which carries the same key). Keeping keys out of the
 * database means the inventory can be copied, backed up or attached to a bug report without leaking a secret.
 */

function keyPath(dir: string, nodeId: string): string {
  // The id is a UUID or [a-z0-9-]{4,32}: safe as a file name, no separators, no "..".
  return join(dir, 'keys', `${nodeIdSchema.parse(nodeId)}.key`);
}

/** Writes a node's pairing key atomically: a 0600 temp file (created with that mode, no window), fsync, rename. */
export async function writePairingKey(dir: string, nodeId: string, key: string): Promise<void> {
  if (!pairingKeySchema.safeParse(key).success) throw new MaculaError('ERR_SEED_INVALID', 'pairing key is not base64url of 32+ bytes');
  const keys = join(dir, 'keys');
  await mkdir(keys, { recursive: true, mode: 0o700 });
  await chmod(keys, 0o700); // mkdir's mode is masked by the umask, and an existing dir keeps its own
  const target = keyPath(dir, nodeId);
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${key}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temp, 0o600);
  await rename(temp, target);
}

/**
 * A node's pairing key, or undefined when none is stored. Refused when the file is readable by group or others:
 * a key that may have leaked must not be trusted silently.
 */
export async function readPairingKey(dir: string, nodeId: string): Promise<string | undefined> {
  const path = keyPath(dir, nodeId);
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if ((mode & 0o077) !== 0) {
    throw new MaculaError('ERR_IO', `pairing key ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); expected 0600`, { path });
  }
  return pairingKeySchema.parse((await readFile(path, 'utf8')).trim());
}

/** Removes a node's pairing key (when the node is forgotten). */
export async function deletePairingKey(dir: string, nodeId: string): Promise<void> {
  await rm(keyPath(dir, nodeId), { force: true });
}
