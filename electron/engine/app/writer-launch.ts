import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';

/**
 * How a flash reaches the drives: in this process when it is privileged, else through the elevated writer process
 * (`macula write --ipc`), the only part that runs as root while the UI stays unprivileged. This is the one elevation
 * policy of the CLI, the browser shell and the Electron main process (the engine may not import electron/cli).
 */
export type WriterLaunch = { readonly kind: 'in-process' } | { readonly kind: 'elevated'; readonly command: readonly [string, ...string[]] };

/** What runs the writer: a Node (or Electron-as-Node) command line, the `macula` CLI script, and its environment. */
export interface WriterRuntime {
  /** Executable and its options before the script: `[process.execPath]`, `[node, '--import', 'tsx']`, … */
  readonly node: readonly [string, ...string[]];
  readonly script: string;
  /** Variables the writer needs, e.g. ELECTRON_RUN_AS_NODE=1; pkexec, sudo and UAC drop the rest of the environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The facts elevation depends on; injected so every platform's command is testable on any machine. */
export interface ElevationHost {
  readonly platform: NodeJS.Platform;
  /** undefined on Windows. */
  readonly uid: number | undefined;
  readonly hasPkexec: boolean;
  /** Set when running from an AppImage: the image file ($APPIMAGE) and where it is mounted for this user ($APPDIR). */
  readonly appImage?: { readonly file: string; readonly mount: string };
}

/**
 * Where the elevated writer's stdin and stdout go when the elevation tool cannot hand them over (osascript, UAC):
 * FIFOs (macOS) or named pipes (Windows) the app creates, opens and speaks the writer protocol over.
 */
export interface RelayEndpoints {
  readonly input: string;
  readonly output: string;
}

export type ElevationPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'stdio'; readonly via: 'pkexec' | 'sudo'; readonly command: readonly [string, ...string[]] }
  | { readonly kind: 'relay'; readonly via: 'osascript' | 'uac'; readonly command: readonly [string, ...string[]]; readonly relay: RelayEndpoints };

const WRITER_ARGS = ['write', '--ipc'] as const;

/** The facts about this process, read once (tests build their own ElevationHost). */
export function currentHost(): ElevationHost {
  const file = process.env['APPIMAGE'];
  const mount = process.env['APPDIR'];
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    hasPkexec: existsSync('/usr/bin/pkexec'),
    ...(file !== undefined && mount !== undefined && isAbsolute(file) && isAbsolute(mount) ? { appImage: { file, mount } } : {}),
  };
}

/**
 * The elevated writer command for `host`. `relay` names the FIFOs / pipes for macOS and Windows (see RelayEndpoints);
 * without it those platforms get placeholder names, which is enough to show the command but not to run it.
 */
export function elevationPlan(host: ElevationHost, runtime: WriterRuntime, relay?: RelayEndpoints): ElevationPlan {
  if (host.platform !== 'win32' && host.uid === 0) return { kind: 'none' };
  const env = Object.entries(runtime.env ?? {}).map(([k, v]) => `${k}=${v}`);
  switch (host.platform) {
    case 'darwin': {
      // sudo needs a terminal the app does not have; osascript shows the system's authorization dialog. `do shell
      // script` returns only when the command ends and keeps no stdio, hence the FIFO relay.
      const ends = relay ?? { input: '/tmp/macula-writer.in', output: '/tmp/macula-writer.out' };
      const line = [...env, ...runtime.node, runtime.script, ...WRITER_ARGS].map(shQuote).join(' ');
      const script = `do shell script ${appleScriptString(`${line} <${shQuote(ends.input)} >${shQuote(ends.output)}`)} with administrator privileges`;
      return { kind: 'relay', via: 'osascript', command: ['/usr/bin/osascript', '-e', script], relay: ends };
    }
    case 'win32':
      return uacPlan(runtime, relay ?? { input: '\\\\.\\pipe\\macula-writer-in', output: '\\\\.\\pipe\\macula-writer-out' });
    default: {
      const self = host.appImage ? appImageWriter(host.appImage, runtime) : [...runtime.node, runtime.script, ...WRITER_ARGS];
      // pkexec (polkit) and sudo both clear the environment, so the writer's variables go through env(1) inside them.
      const argv = env.length > 0 ? ['/usr/bin/env', ...env, ...self] : self;
      return host.hasPkexec ? { kind: 'stdio', via: 'pkexec', command: ['/usr/bin/pkexec', ...argv] } : { kind: 'stdio', via: 'sudo', command: ['sudo', ...argv] };
    }
  }
}

/**
 * An AppImage is a FUSE mount ($APPDIR, e.g. /tmp/.mount_MaculaXXXX) that only the user who started it can read —
 * root included is refused — so the elevated writer cannot run Electron or the script from there. Instead root runs
 * the AppImage file itself ($APPIMAGE, a plain file), which mounts its own copy and sets its own $APPDIR; a one-line
 * bootstrap finds the same script under that mount. (An extracted copy would be a second 200 MB user-writable tree
 * run as root; re-running the image costs a mount and nothing else.) Requires the RunAsNode fuse left on.
 */
function appImageWriter(appImage: { file: string; mount: string }, runtime: WriterRuntime): string[] {
  const rel = insideMount(appImage.mount, runtime.script);
  if (rel === undefined) return [...runtime.node, runtime.script, ...WRITER_ARGS];
  const bootstrap =
    `const p=require('node:path').join(process.env.APPDIR,${JSON.stringify(rel)});` +
    `process.argv.splice(1,0,p);import(require('node:url').pathToFileURL(p).href);`;
  return [appImage.file, '--eval', bootstrap, ...WRITER_ARGS];
}

/**
 * UAC: `Start-Process -Verb RunAs` shows the consent prompt, but ShellExecute cannot redirect the elevated process's
 * stdio, so cmd.exe inside it redirects the writer's stdin/stdout to named pipes the app serves. The environment is
 * set inside cmd because an elevated process does not inherit the caller's.
 */
function uacPlan(runtime: WriterRuntime, relay: RelayEndpoints): ElevationPlan {
  const sets = Object.entries(runtime.env ?? {}).map(([k, v]) => `set "${k}=${v}"&& `).join('');
  const exe = [...runtime.node, runtime.script].map((a) => `"${a}"`).join(' ');
  const cmdLine = `/d /s /c "${sets}${exe} ${WRITER_ARGS.join(' ')} <"${relay.input}" >"${relay.output}""`;
  const ps = `Start-Process -FilePath 'cmd.exe' -ArgumentList ${psQuote(cmdLine)} -Verb RunAs -WindowStyle Hidden -Wait`;
  return { kind: 'relay', via: 'uac', command: ['powershell.exe', '-NoProfile', '-NonInteractive', '-Command', ps], relay };
}

/**
 * The launch for a writer run as `runtime`: in-process when privileged, else the elevated command. Only plans that
 * keep the writer's stdio (pkexec, sudo) become a launch today: the writer client does not open the macOS/Windows
 * relays yet, so there the flash runs in-process and the OS refuses the device with a clear permission error rather
 * than hanging on a writer that cannot answer.
 */
export function writerLaunch(runtime: WriterRuntime, host: ElevationHost = currentHost()): WriterLaunch {
  const plan = elevationPlan(host, runtime);
  return plan.kind === 'stdio' ? { kind: 'elevated', command: plan.command } : { kind: 'in-process' };
}

/** Compatibility form of writerLaunch: `maculaScript` run by `node`, with `env` set for it. */
export function writerLaunchFor(
  maculaScript: string,
  node: readonly [string, ...string[]] = [process.execPath, ...process.execArgv] as [string, ...string[]],
  env: Readonly<Record<string, string>> = {},
  host: ElevationHost = currentHost(),
): WriterLaunch {
  return writerLaunch({ node, script: maculaScript, env }, host);
}

/** `path` relative to `mount`, or undefined when it lies outside it. */
export function insideMount(mount: string, path: string): string | undefined {
  const rel = relative(mount, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
}

/** POSIX shell single-quoting: the only character needing care inside '…' is ' itself. */
export function shQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An AppleScript string literal: backslash and double quote are its only escapes. */
function appleScriptString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A PowerShell single-quoted string: ' is doubled, nothing else is special. */
function psQuote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
