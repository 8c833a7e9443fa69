import { stat, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MaculaError } from '../../../shared/errors';

/**
 * Before the app asks for root it checks what root will run (docs/flashing.md, "The elevated writer"): a program that
 * the desktop user — or malware running as them — can modify would turn the user's approval into root for whatever
 * was put there before the next flash. Every file an elevated command names, and every directory above it, must be
 * owned by root and writable by no one else (a sticky directory such as /tmp may hold it: no one but its root owner
 * can replace a file there). The override is for a development checkout its developer trusts.
 */

/** Set to 1 to elevate a writer that a non-root user can modify (a development checkout): never in a packaged app. */
export const UNSAFE_WRITER_ENV = 'MACULA_UNSAFE_WRITER';

const STICKY = 0o1000;

/** Why `path` (resolved) or a directory above it could be changed by someone other than root; undefined when safe. */
export async function modifiableBy(path: string): Promise<string | undefined> {
  let at = await realpath(path);
  for (let isFile = true; ; isFile = false) {
    const info = await stat(at);
    if (info.uid !== 0) return `${at} is owned by uid ${info.uid}`;
    const othersWrite = (info.mode & 0o022) !== 0;
    if (othersWrite && (isFile || (info.mode & STICKY) === 0)) return `${at} is writable by its group or by everyone (mode ${(info.mode & 0o7777).toString(8)})`;
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

/** The files an elevated command line runs: its absolute-path arguments (and file: URLs) that exist, the tool included. */
export async function filesRunBy(command: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of command) {
    const path = arg.startsWith('file:') ? fileURLToPath(arg) : arg;
    if (!path.startsWith('/')) continue;
    if (await stat(path).then((s) => s.isFile(), () => false)) files.push(path);
  }
  return files;
}

/**
 * Refuses (ERR_WRITER_UNSAFE) to elevate `command` when a file it runs could be modified by a non-root user, saying
 * how to fix it; `MACULA_UNSAFE_WRITER=1` in `env` lets a development checkout through.
 */
export async function assertSafeToElevate(command: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env[UNSAFE_WRITER_ENV] === '1') return;
  for (const file of await filesRunBy(command)) {
    const why = await modifiableBy(file);
    if (why === undefined) continue;
    throw new MaculaError(
      'ERR_WRITER_UNSAFE',
      `refusing to run the writer as root: ${why}, so a program running as you could replace what root runs. ` +
        `Install Macula Companion as a package (its writer is root-owned), or, in a development checkout you trust, set ${UNSAFE_WRITER_ENV}=1`,
      { path: file },
    );
  }
}
