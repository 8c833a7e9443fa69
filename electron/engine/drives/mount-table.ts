import { readFile } from 'node:fs/promises';

/** One line of /proc/self/mountinfo (proc(5)): which device (`MAJ:MIN`, and the source as given) is mounted where. */
export interface MountEntry {
  readonly devNo: string;
  /** The directory of the filesystem mounted there: `/`, or a subdirectory for a bind mount (or a btrfs subvolume). */
  readonly root: string;
  readonly mountPoint: string;
  readonly source: string;
}

/** One active swap area of /proc/swaps: a partition (device node) or a swap file. */
export interface SwapEntry {
  readonly path: string;
  readonly type: 'partition' | 'file';
}

/** proc(5) escapes space, tab, newline and backslash in paths as `\ooo` octal. */
export function unescapeProcPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses mountinfo: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTIONS`. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const [, , devNo, root, mountPoint] = fields;
    if (dash < 0 || devNo === undefined || root === undefined || mountPoint === undefined) continue;
    entries.push({ devNo, root: unescapeProcPath(root), mountPoint: unescapeProcPath(mountPoint), source: unescapeProcPath(fields[dash + 2] ?? '') });
  }
  return entries;
}

/** Parses /proc/swaps: a header, then `Filename Type Size Used Priority` per line. */
export function parseSwaps(text: string): SwapEntry[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f): f is [string, string, ...string[]] => f.length >= 2 && f[0] !== '')
    .map(([path, type]) => ({ path: unescapeProcPath(path), type: type === 'partition' ? 'partition' : 'file' }));
}

/** The mounts this process sees. */
export async function readMountTable(): Promise<MountEntry[]> {
  return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** The active swap areas; none when /proc/swaps is unreadable. */
export async function readSwaps(): Promise<SwapEntry[]> {
  return parseSwaps(await readFile('/proc/swaps', 'utf8').catch(() => ''));
}
