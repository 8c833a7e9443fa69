import { execFile } from 'node:child_process';
import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Change, SeedPlan } from './plan';

const run = promisify(execFile);

/** Where a node path lands under `root` ("/" on the node, a scratch folder in tests). */
function under(root: string, path: string): string {
  return join(root, path);
}

async function applyChange(root: string, change: Change): Promise<void> {
  const path = under(root, change.path);
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
