import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, posix, relative } from 'node:path';

/**
 * How a flash reaches the drives: in this process when it is privileged, else through the elevated writer process
 * (`macula write --ipc`), the only part that runs as root while the UI stays unprivileged. This is the one elevation
 * policy of the CLI, the browser shell and the Electron main process (the engine may not import electron/cli).
 */
export type WriterLaunch =
  | { readonly kind: 'in-process' }
  /** The elevation tool hands the writer's stdio through (pkexec, sudo). */
  | { readonly kind: 'elevated'; readonly command: readonly [string, ...string[]] }
  /** The elevation tool keeps no stdio (osascript, UAC): the writer's stdin/stdout go through `relay`, fresh per flash. */
  | { readonly kind: 'elevated-relay'; readonly command: readonly [string, ...string[]]; readonly relay: WriterRelay };

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
  /**
   * The packaged writer installed root-owned at a fixed path (FIXED_WRITER), with its own polkit action whose prompt
   * names the drives: when present, it is what gets elevated, whatever runs the app.
   */
  readonly fixedWriter?: string;
}

/**
 * Where deb and rpm installs put the writer (assets/linux/after-install.sh), root-owned, with the polkit action
 * `io.macula.companion.write` bound to it (assets/linux/io.macula.companion.write.policy). MACULA_WRITER_PATH names
 * another place (packagers, tests): it gains nothing, since what it names must pass the same root-owned check and
 * polkit still asks for the program it names.
 */
export const FIXED_WRITER = '/usr/lib/macula-companion/macula-writer';

/**
 * Where the elevated writer's stdin and stdout go when the elevation tool cannot hand them over (osascript, UAC):
 * FIFOs (macOS) or named pipes (Windows) the app creates, opens and speaks the writer protocol over.
 */
export interface RelayEndpoints {
  readonly input: string;
  readonly output: string;
  /**
   * The key the protocol is sealed with over this relay (hex, fresh per flash; writer-process/sealed-lines.ts), given
   * to the writer on its elevated command line: Windows named pipes can be opened first by any local account.
   */
  readonly key?: string;
}

/** A relay and how it is built: FIFOs for osascript's `do shell script`, named pipes for cmd.exe under UAC. */
export interface WriterRelay extends RelayEndpoints {
  readonly via: 'osascript' | 'uac';
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
    ...fixedWriterOf(process.env['MACULA_WRITER_PATH'] ?? FIXED_WRITER),
  };
}

function fixedWriterOf(path: string): { fixedWriter: string } | Record<string, never> {
  return isAbsolute(path) && existsSync(path) ? { fixedWriter: path } : {};
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
      const script = `do shell script ${appleScriptString(relayShellLine(runtime, ends, host.uid))} with administrator privileges`;
      return { kind: 'relay', via: 'osascript', command: ['/usr/bin/osascript', '-e', script], relay: ends };
    }
    case 'win32':
      return uacPlan(runtime, relay ?? { input: '\\\\.\\pipe\\macula-writer-in', output: '\\\\.\\pipe\\macula-writer-out' });
    default: {
      // The installed writer sets its own environment: pkexec runs it alone, and its polkit action names it.
      if (host.fixedWriter !== undefined) {
        const fixed = [host.fixedWriter, ...WRITER_ARGS];
        return host.hasPkexec ? { kind: 'stdio', via: 'pkexec', command: ['/usr/bin/pkexec', ...fixed] } : { kind: 'stdio', via: 'sudo', command: ['sudo', ...fixed] };
      }
      const self = host.appImage ? appImageWriter(host.appImage, runtime) : [...runtime.node, runtime.script, ...WRITER_ARGS];
      // pkexec (polkit) and sudo both clear the environment, so the writer's variables go through env(1) inside them.
      const argv = env.length > 0 ? ['/usr/bin/env', ...env, ...self] : self;
      return host.hasPkexec ? { kind: 'stdio', via: 'pkexec', command: ['/usr/bin/pkexec', ...argv] } : { kind: 'stdio', via: 'sudo', command: ['sudo', ...argv] };
    }
  }
}

/**
 * The POSIX shell line osascript's `do shell script` runs as root: the writer with its variables, stdin from the input
 * FIFO and stdout to the output FIFO (opened in that order, input first).
 */
export function relayShellLine(runtime: WriterRuntime, ends: RelayEndpoints, callerUid?: number): string {
  // SUDO_UID, as sudo would set it: the writer opens the user's files with the user's rights (writer-caller.ts).
  const caller = callerUid !== undefined ? { SUDO_UID: String(callerUid) } : {};
  const env = Object.entries({ ...runtime.env, ...caller }).map(([k, v]) => `${k}=${v}`);
  const line = [...env, ...runtime.node, runtime.script, ...WRITER_ARGS].map(shQuote).join(' ');
  return `${line} <${shQuote(ends.input)} >${shQuote(ends.output)}`;
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
  const args = [...WRITER_ARGS, ...(relay.key !== undefined ? ['--relay-key', relay.key] : [])].join(' ');
  const cmdLine = `/d /s /c "${sets}${exe} ${args} <"${relay.input}" >"${relay.output}""`;
  const ps = `Start-Process -FilePath 'cmd.exe' -ArgumentList ${psQuote(cmdLine)} -Verb RunAs -WindowStyle Hidden -Wait`;
  return { kind: 'relay', via: 'uac', command: ['powershell.exe', '-NoProfile', '-NonInteractive', '-Command', ps], relay };
}

/**
 * The launch for a writer run as `runtime`: in-process when privileged, else the elevated command. macOS and Windows
 * get new relay endpoints on every call (one call per flash), named with 128 random bits so they cannot be guessed
 * (Windows still lists pipe names: see pipe-relay.ts); they are only names here — the writer client creates them exclusively when the flash starts and removes
 * them whatever happens (electron/engine/writer-process/writer-transport.ts).
 */
export function writerLaunch(runtime: WriterRuntime, host: ElevationHost = currentHost()): WriterLaunch {
  const plan = elevationPlan(host, runtime, freshRelay(host.platform));
  switch (plan.kind) {
    case 'none':
      return { kind: 'in-process' };
    case 'stdio':
      return { kind: 'elevated', command: plan.command };
    case 'relay':
      return { kind: 'elevated-relay', command: plan.command, relay: { via: plan.via, ...plan.relay } };
  }
}

/**
 * New, unguessable relay names for `platform` (undefined where stdio is handed through): on macOS two FIFOs in a
 * directory of their own under the user's temp dir (created 0700 by the client, so only the user — and root — can
 * open them), on Windows two named pipes.
 */
export function freshRelay(platform: NodeJS.Platform, tmp: string = tmpdir()): RelayEndpoints | undefined {
  const id = randomBytes(16).toString('hex');
  if (platform === 'win32') return { input: `\\\\.\\pipe\\macula-writer-${id}-in`, output: `\\\\.\\pipe\\macula-writer-${id}-out`, key: randomBytes(32).toString('hex') };
  if (platform !== 'darwin') return undefined;
  const dir = posix.join(tmp, `macula-writer-${id}`);
  return { input: posix.join(dir, 'in'), output: posix.join(dir, 'out') };
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
