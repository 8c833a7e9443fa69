import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Change, SeedPlan } from './plan';

const run = promisify(execFile);

/** Where a node path lands under `root` ("/" on the node, a scratch folder in tests). */
function under(root: string, path: string): string {
  return join(root, path);
}

/** Hashes a plain password as SHA-512 crypt (`$6$`, crypt(5)) with openssl, the password on stdin, never in argv. */
async function cryptHash(password: string): Promise<string> {
  return (await runWithInput('openssl', ['passwd', '-6', '-stdin'], `${password}\n`)).trim();
}

/** Runs a program with `input` on stdin; rejects with its exit status only (the input may be a secret). */
function runWithInput(file: string, args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, (err, stdout) => (err ? reject(new Error(`${file} failed (${err.code ?? 'signal'})`)) : resolve(stdout)));
    child.stdin?.end(input);
  });
}

/** The login user's password, as k3OS sets it (chpasswd; `-e` for a hash), in `root`'s /etc/shadow. */
async function setPassword(root: string, user: string, password: string, hashed: boolean): Promise<void> {
  const hash = hashed ? password : await cryptHash(password);
  await runWithInput('chpasswd', ['-e', ...(root === '/' ? [] : ['-R', root])], `${user}:${hash}\n`);
}

/** Writes `script` (0600) and runs it with /bin/sh, its output to ours; the script itself always exits 0. */
async function runScript(path: string, script: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFile(path, script, { mode: 0o600 });
  // Inherited output: the commands' lines reach the journal and the console as they come, with no buffer to overflow.
  await new Promise<void>((resolve, reject) => {
    spawn('/bin/sh', [path], { stdio: ['ignore', 'inherit', 'inherit'] }).on('error', reject).on('close', () => resolve());
  });
}

async function applyChange(root: string, change: Change): Promise<void> {
  if (change.kind === 'password') {
    await setPassword(root, change.user, change.password, change.hashed);
    return;
  }
  const path = under(root, change.path);
  if (change.kind === 'run') {
    await runScript(path, change.script);
    return;
  }
  if (change.kind === 'remove') {
    await rm(path, { force: true });
    return;
  }
  // ~/.ssh must be 0700 or sshd ignores the keys (StrictModes); other folders are the usual 0755.
  await mkdir(dirname(path), { recursive: true, mode: change.path.includes('/.ssh/') ? 0o700 : 0o755 });
  if (change.kind === 'link') {
    await rm(path, { force: true });
    await symlink(change.target, path);
    return;
  }
  // Written beside and renamed: a node unplugged mid-write keeps the old file, never half of the new one.
  const tmp = `${path}.maculaos-tmp`;
  await writeFile(tmp, change.content, { mode: change.mode });
  await chmod(tmp, change.mode);
  if (change.owner !== undefined) {
    await run('chown', [change.owner, tmp]);
    if (change.path.includes('/.ssh/')) await run('chown', [change.owner, dirname(path)]);
  }
  await rename(tmp, path);
}

/** Carries out `plan` under `root`; with `live`, also renames the running kernel (no reboot needed). */
export async function applyPlan(plan: SeedPlan, root: string, live: boolean): Promise<void> {
  for (const change of plan.changes) await applyChange(root, change);
  if (live && plan.hostname !== undefined) await writeFile('/proc/sys/kernel/hostname', plan.hostname);
}
