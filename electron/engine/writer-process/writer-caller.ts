import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { MaculaError } from '../../../shared/errors';

/**
 * Who the writer process works for (docs/flashing.md, "The elevated writer"):
 * - `unprivileged`: it is not root; the kernel holds it to its user's rights, so it may write what that user may.
 * - `root`: root started it (no elevation tool names another user); root's rights are its caller's.
 * - `user`: pkexec or sudo made it root for `uid`; it must never let that user reach what they could not reach alone.
 */
export type WriterCaller =
  | { readonly kind: 'unprivileged' }
  | { readonly kind: 'root' }
  | { readonly kind: 'user'; readonly uid: number; readonly gid: number; readonly groups: readonly number[] };

/** The invoking user's uid as the elevation tool recorded it: pkexec sets PKEXEC_UID, sudo SUDO_UID (and SUDO_GID). */
function invokingUid(env: NodeJS.ProcessEnv): number | undefined {
  for (const name of ['PKEXEC_UID', 'SUDO_UID']) {
    const value = env[name];
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return undefined;
}

/** A numeric id list printed by id(1). */
function ids(args: readonly string[]): number[] | undefined {
  try {
    const out = execFileSync('id', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/);
    return out.every((n) => /^\d+$/.test(n)) ? out.map(Number) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The primary and supplementary groups of `uid`, from the system's user database (NSS included, hence id(1) rather
 * than /etc/passwd): the rights the user has on their own, which the writer takes when it opens their files.
 */
function groupsOf(uid: number): { gid: number; groups: number[] } {
  const gid = ids(['-g', String(uid)])?.[0];
  const groups = ids(['-G', String(uid)]);
  if (gid === undefined || groups === undefined) throw new MaculaError('ERR_TARGET_ACCESS_DENIED', `the writer was started for uid ${uid}, which is unknown here`);
  return { gid, groups };
}

/** Who this process works for, from its own uid and the elevation tool's variables. */
export function writerCaller(env: NodeJS.ProcessEnv = process.env): WriterCaller {
  const euid = process.geteuid?.();
  if (euid === undefined || euid !== 0) return { kind: 'unprivileged' };
  const uid = invokingUid(env);
  if (uid === undefined || uid === 0) return { kind: 'root' };
  return { kind: 'user', uid, ...groupsOf(uid) };
}

/**
 * Runs `fn` with the effective uid, gid and supplementary groups of `caller`, then returns to root's. glibc applies
 * set*id calls to every thread of the process, so the libuv threadpool's opens happen as the caller too. Nothing else
 * may run meanwhile: the writer calls this before it starts any other work.
 */
async function asCaller<T>(caller: Extract<WriterCaller, { kind: 'user' }>, fn: () => Promise<T>): Promise<T> {
  const { seteuid, setegid, getegid, setgroups, getgroups } = process;
  if (!seteuid || !setegid || !getegid || !setgroups || !getgroups) {
    throw new MaculaError('ERR_TARGET_ACCESS_DENIED', 'this platform cannot open files as the invoking user');
  }
  const groups = getgroups();
  const egid = getegid();
  setgroups([...caller.groups]);
  setegid(caller.gid);
  seteuid(caller.uid);
  try {
    return await fn();
  } finally {
    // The saved set-user-ID is still 0, so root's identity comes back; the groups only after it.
    seteuid(0);
    setegid(egid);
    setgroups(groups);
  }
}

/** An image or block map file opened with the caller's rights, held open for the whole write. */
export interface CallerFile {
  /** The path the rest of the engine opens: the open descriptor itself on Linux, so a later swap of the path is moot. */
  readonly path: string;
  /** The path as the caller named it, for messages. */
  readonly named: string;
  readonly handle: FileHandle;
}

/**
 * Opens `path` for reading with the caller's rights (never root's on a user's behalf). Only a regular file or a block
 * device is accepted (a FIFO could stall the writer, a directory is no image); the error names the path, never its
 * contents.
 */
export async function openAsCaller(caller: WriterCaller, path: string, what: string): Promise<CallerFile> {
  const opener = (): Promise<FileHandle> => open(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
  const handle = await (caller.kind === 'user' ? asCaller(caller, opener) : opener()).catch((err: unknown) => {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'error';
    const denied = code === 'EACCES' || code === 'EPERM';
    throw new MaculaError(denied ? 'ERR_TARGET_ACCESS_DENIED' : 'ERR_IO', `cannot open the ${what} ${path}${caller.kind === 'user' ? ` as uid ${caller.uid}` : ''}: ${code}`, { path });
  });
  const info = await handle.stat();
  if (!info.isFile() && !info.isBlockDevice()) {
    await handle.close();
    throw new MaculaError('ERR_USAGE', `the ${what} ${path} is neither a regular file nor a block device`, { path });
  }
  // /proc/self/fd/N opens the inode this descriptor holds (Linux); elsewhere the path as it was named.
  const viaFd = process.platform === 'linux' ? `/proc/self/fd/${handle.fd}` : path;
  return { path: viaFd, named: path, handle };
}
