import { existsSync } from 'node:fs';

/**
 * How a flash reaches the drives: in this process when it is privileged, else through the elevated writer process
 * (`macula write --ipc` under pkexec or sudo), the only part that runs as root.
 */
export type WriterLaunch = { readonly kind: 'in-process' } | { readonly kind: 'elevated'; readonly command: readonly [string, ...string[]] };

/**
 * The launch for an app whose `macula` CLI script is `maculaScript`: in-process as root, else elevated. The same policy
 * as electron/cli/elevation.ts (pkexec where polkit is installed, else sudo), which the engine may not import.
 */
export function writerLaunchFor(maculaScript: string, node: readonly string[] = [process.execPath, ...process.execArgv]): WriterLaunch {
  if (process.platform === 'win32' || process.getuid?.() === 0) return { kind: 'in-process' };
  const self = [...node, maculaScript, 'write', '--ipc'];
  return { kind: 'elevated', command: existsSync('/usr/bin/pkexec') ? ['/usr/bin/pkexec', ...self] : ['sudo', ...self] };
}
