import { existsSync } from 'node:fs';

/** Whether this process may open block devices for writing itself (root on Unix; Windows is checked by the OS at open). */
export function isPrivileged(): boolean {
  return process.platform === 'win32' || process.getuid?.() === 0;
}

/**
 * The command that runs this CLI's writer elevated: pkexec where polkit is installed, else sudo. Only the writer
 * runs as root; this process stays unprivileged. (The desktop app elevates the same way, AppImage-aware, in main.)
 */
export function elevatedWriterCommand(): [string, ...string[]] {
  const self = [process.execPath, ...process.execArgv, process.argv[1] ?? '', 'write', '--ipc'];
  return existsSync('/usr/bin/pkexec') ? ['/usr/bin/pkexec', ...self] : ['sudo', ...self];
}
