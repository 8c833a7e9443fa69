import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Keeps the computer awake while a long job runs (a download, a flash, a check, a clone): a laptop that suspends
 * half-way through a flash leaves a drive that will not boot. `hold` takes the inhibition and returns its release;
 * releasing twice is harmless. Each platform's tool is a child that holds the lock for as long as it lives and
 * exits when our end of its stdin closes — so the lock goes with this process too, however it ends.
 */
export interface SleepInhibitor {
  hold(why: string): () => void;
}

/** How the inhibition is taken on one platform: a command, or nothing where no tool is there. */
export interface InhibitCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** The facts the choice depends on (injected in tests). */
export interface InhibitHost {
  readonly platform: NodeJS.Platform;
  readonly pid: number;
  /** Where `name` is found on the PATH, if anywhere. */
  readonly find: (name: string) => string | undefined;
}

/** `name` on this process's PATH (an executable file), as a shell would find it. */
export function findOnPath(name: string, path: string = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // Not here.
    }
  }
  return undefined;
}

const WHO = 'Macula Companion';

/**
 * The command that holds the inhibition on `host`: logind through `systemd-inhibit` (Linux), `caffeinate` (macOS),
 * SetThreadExecutionState through PowerShell (Windows); undefined where none is available.
 */
export function inhibitCommand(host: InhibitHost, why: string): InhibitCommand | undefined {
  switch (host.platform) {
    case 'linux': {
      // `cat` waits on its stdin: it ends, and the inhibitor with it, when our end closes.
      const tool = host.find('systemd-inhibit');
      return tool !== undefined ? { command: tool, args: ['--what=sleep:idle', `--who=${WHO}`, `--why=${why}`, '--mode=block', 'cat'] } : undefined;
    }
    case 'darwin': {
      // -i: no idle sleep; -w: released when this process exits, whatever happens to our release call.
      const tool = host.find('caffeinate');
      return tool !== undefined ? { command: tool, args: ['-i', '-w', String(host.pid)] } : undefined;
    }
    case 'win32':
      // ES_CONTINUOUS | ES_SYSTEM_REQUIRED for this PowerShell's thread until its stdin closes.
      return {
        command: 'powershell.exe',
        args: [
          '-NoProfile',
          '-NonInteractive',
          '-Command',
          "Add-Type -Namespace M -Name P -MemberDefinition '[DllImport(\"kernel32.dll\")] public static extern uint SetThreadExecutionState(uint f);'; " +
            '[M.P]::SetThreadExecutionState(0x80000001) | Out-Null; [Console]::In.ReadToEnd() | Out-Null',
        ],
      };
    default:
      return undefined;
  }
}

/** The platform's inhibitor, by child process; best effort: a tool that fails leaves the job running, awake or not. */
export function processInhibitor(host: InhibitHost = { platform: process.platform, pid: process.pid, find: (name) => findOnPath(name) }, run: typeof spawn = spawn): SleepInhibitor {
  return {
    hold(why) {
      const how = inhibitCommand(host, why);
      if (how === undefined) return () => undefined;
      let child: ChildProcess | undefined;
      try {
        child = run(how.command, [...how.args], { stdio: ['pipe', 'ignore', 'ignore'] });
        child.on('error', () => undefined);
        child.stdin?.on('error', () => undefined);
        // Never keeps this process alive by itself.
        child.unref();
      } catch {
        return () => undefined;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        child?.stdin?.end();
        child?.kill();
      };
    },
  };
}

/** Runs `job` with the computer kept awake, released on every way out. */
export async function keptAwake<T>(inhibitor: SleepInhibitor, why: string, job: () => Promise<T>): Promise<T> {
  const release = inhibitor.hold(why);
  try {
    return await job();
  } finally {
    release();
  }
}
