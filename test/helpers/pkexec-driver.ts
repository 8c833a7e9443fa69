import { readFile, readdir } from 'node:fs/promises';
import { isMaculaError } from '../../shared/errors';
import { runFlashWrite } from '../../electron/engine/app/flash-write';
import { openImage } from '../../electron/engine/source/open-image';
import { appWriterLaunch } from '../../electron/web/writer-launch';

/**
 * The app side of test/writer-pkexec.test.ts, run as an unprivileged user: the browser shell's real launch
 * (appWriterLaunch: this process's uid, /usr/bin/pkexec present, the CLI sources under tsx), then the app's flash
 * hand-over (runFlashWrite) of `image` to `target`. While the writer runs it looks up its own child (pkexec, which
 * execs the writer in place) in /proc to see whose it is. Prints one JSON line: PkexecDriverReport.
 *
 * Usage: node --import tsx pkexec-driver.ts IMAGE TARGET
 */

export interface WriterSeen {
  readonly pid: number;
  /** Real and effective uid, from /proc/PID/status. */
  readonly uid: readonly number[];
  readonly cmdline: readonly string[];
}

export interface PkexecDriverReport {
  readonly uid: number | undefined;
  readonly launch: unknown;
  /** The writer process as seen during the first progress event; null when none was seen. */
  readonly writer: WriterSeen | null;
  readonly result?: unknown;
  readonly error?: { readonly code: string | undefined; readonly message: string };
}

/** Our direct children whose command line contains `write --ipc`. */
async function writerChild(): Promise<WriterSeen | null> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      if (Number(/^PPid:\s*(\d+)/m.exec(status)?.[1]) !== process.pid) continue;
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
      if (!cmdline.includes('--ipc')) continue;
      const uid = (/^Uid:\s*(.*)$/m.exec(status)?.[1] ?? '').trim().split(/\s+/).slice(0, 2).map(Number);
      return { pid: Number(entry), uid, cmdline };
    } catch {
      // Gone meanwhile.
    }
  }
  return null;
}

async function main(): Promise<PkexecDriverReport> {
  const [image, target] = process.argv.slice(2);
  if (image === undefined || target === undefined) throw new Error('usage: pkexec-driver.ts IMAGE TARGET');
  const launch = appWriterLaunch();
  let seen: Promise<WriterSeen | null> | undefined;
  const base = { uid: process.getuid?.(), launch };
  try {
    const result = await runFlashWrite({
      launch,
      image,
      source: await openImage(image),
      targets: [target],
      verify: true,
      onProgress: () => void (seen ??= writerChild()),
    });
    return { ...base, writer: (await seen) ?? null, result };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ...base, writer: (await seen) ?? null, error: { code: isMaculaError(e) ? e.code : undefined, message } };
  }
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
