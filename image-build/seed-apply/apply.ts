import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { SeedReportEntry } from '../../shared/fleet/seed-report';
import type { Change, KeyedPart, SeedPlan } from './plan';

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

/** Why a setting failed, for the report: the error's message with the scratch root taken out, and bounded. */
function reasonOf(err: unknown, root: string): string {
  const text = err instanceof Error ? err.message : String(err);
  const cleaned = root === '/' ? text : text.split(root.replace(/\/$/, '')).join('');
  return cleaned.slice(0, 300) || 'failed';
}

async function applyPart(part: KeyedPart, root: string, live: boolean, hostname: string | undefined): Promise<void> {
  for (const change of part.changes) await applyChange(root, change);
  if (part.key === 'hostname' && live && hostname !== undefined) await writeFile('/proc/sys/kernel/hostname', hostname);
}

/**
 * Carries out `plan` under `root`, one setting at a time; with `live`, also renames the running kernel (no reboot
 * needed). A setting that fails is reported with its reason and the others go on (shared/fleet/seed-report.ts).
 */
export async function applyPlan(plan: SeedPlan, root: string, live: boolean): Promise<SeedReportEntry[]> {
  const entries: SeedReportEntry[] = [];
  for (const part of plan.parts) {
    try {
      await applyPart(part, root, live, plan.hostname);
      entries.push(part.asked ? { key: part.key, status: 'applied' } : { key: part.key, status: 'not_applicable' });
    } catch (err) {
      entries.push({ key: part.key, status: 'failed', reason: reasonOf(err, root) });
    }
  }
  return entries;
}
