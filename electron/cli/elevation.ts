import { currentHost, elevationPlan } from '../engine/app/writer-launch';

/** Whether this process may open block devices for writing itself (root on Unix; Windows is checked by the OS at open). */
export function isPrivileged(): boolean {
  const host = currentHost();
  return host.platform === 'win32' || host.uid === 0;
}

/**
 * The command that runs this CLI's writer elevated: the engine's one elevation policy applied to this very process's
 * Node and script. A CLI has a terminal, so the Unix stdio plan (pkexec where polkit is installed, else sudo asking on
 * the terminal) serves macOS too. Only the writer runs as root; this process stays unprivileged.
 */
export function elevatedWriterCommand(): [string, ...string[]] {
  const runtime = { node: [process.execPath, ...process.execArgv] as [string, ...string[]], script: process.argv[1] ?? '' };
  const plan = elevationPlan({ ...currentHost(), platform: 'linux', uid: undefined }, runtime);
  if (plan.kind !== 'stdio') throw new Error('unreachable: a non-root Unix host always gets a stdio plan');
  return [...plan.command];
}
