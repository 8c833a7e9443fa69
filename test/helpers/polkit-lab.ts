import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A system D-Bus and polkitd of their own, with a polkit rule and an unprivileged user of their own, for running a
 * command as that user where /usr/bin/pkexec (setuid root) asks polkit and gets this lab's answer. Nothing on the
 * host changes for good:
 *
 * - every run is `unshare --mount --pid --fork --mount-proc --kill-child`: a private mount namespace in which tmpfs
 *   covers /run/dbus and /etc/polkit-1/rules.d, and copies of /etc/passwd and /etc/group naming the user are bound
 *   over the real ones (so the user exists only in there: no useradd); and a private PID namespace, whose processes —
 *   dbus-daemon, polkitd, whatever the user started — the kernel kills when its first process ends, or when the
 *   unshare process is killed (--kill-child);
 * - the script stops dbus-daemon and polkitd by their pid before it ends anyway;
 * - the lab's temp dir (world-readable: the user reads files in it) goes with dispose().
 *
 * Host traces: an empty /run/dbus is created (on the /run tmpfs) when the dbus package has not made it, to have
 * something to mount over; and pkexec reports a refusal to syslog (/dev/log), so a host running a syslog daemon or
 * journald logs "macula-ci: Error executing command as another user: Not authorized".
 */

/**
 * What polkit answers for the lab user: `yes`/`no` to `org.freedesktop.policykit.exec` (what pkexec asks for any
 * program); `{ writerCommandLine }`: yes only to the packaged writer's own action `io.macula.companion.write` asked
 * for exactly that command line (the prompt's `$(command_line)`), no to everything else.
 */
export type PolkitAnswer = 'yes' | 'no' | { readonly writerCommandLine: string };

export interface LabRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** polkitd's own output (rule loading, errors). */
  readonly polkitdLog: string;
}

/** The user's name, inside the namespace only. */
export const LAB_USER = 'macula-ci';

const SCRIPT = join(import.meta.dirname, 'polkit-lab.sh');

function rule(answer: PolkitAnswer): string {
  if (typeof answer === 'object') {
    return `// macula test lab: only the packaged writer's action, for ${LAB_USER}, for one command line.
polkit.addRule(function (action, subject) {
  if (subject.user != "${LAB_USER}") return polkit.Result.NOT_HANDLED;
  if (action.id == "io.macula.companion.write" && action.lookup("command_line") == ${JSON.stringify(answer.writerCommandLine)}) return polkit.Result.YES;
  return polkit.Result.NO;
});
`;
  }
  const result = answer === 'yes' ? 'polkit.Result.YES' : 'polkit.Result.NO';
  return `// macula test lab: pkexec for ${LAB_USER} is answered without asking.
polkit.addRule(function (action, subject) {
  if (action.id == "org.freedesktop.policykit.exec" && subject.user == "${LAB_USER}") return ${result};
});
`;
}

/** Why the lab cannot run here, or undefined. */
export function polkitLabUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'Linux only (polkit, namespaces)';
  if (process.getuid?.() !== 0) return 'needs root (namespaces, loop devices, starting polkitd)';
  const needed: [string, string][] = [
    ['/usr/bin/pkexec', 'pkexec'],
    ['/usr/lib/polkit-1/polkitd', 'polkitd'],
    ['/usr/bin/dbus-daemon', 'dbus-daemon'],
    ['/usr/bin/dbus-send', 'dbus-bin'],
    ['/usr/bin/unshare', 'util-linux'],
    ['/usr/bin/setpriv', 'util-linux'],
  ];
  const missing = needed.filter(([file]) => !existsSync(file)).map(([file, pkg]) => `${file} (${pkg})`);
  if (missing.length > 0) return `missing ${missing.join(', ')}`;
  if (!existsSync('/etc/polkit-1/rules.d')) return 'no /etc/polkit-1/rules.d to mount over';
  return undefined;
}

export class PolkitLab {
  /** World-readable: put what the user must read here. */
  readonly dir = mkdtempSync(join(tmpdir(), 'macula-polkit-'));
  /** The user's HOME and TMPDIR, owned by it. */
  readonly home = join(this.dir, 'home');
  readonly uid: number;

  /** Installs a polkit action (policy XML) beside the system's, inside the namespace only, from the next run on. */
  addAction(fileName: string, xml: string): void {
    mkdirSync(join(this.dir, 'actions'), { recursive: true });
    writeFileSync(join(this.dir, 'actions', fileName), xml, { mode: 0o644 });
  }

  constructor() {
    chmodSync(this.dir, 0o755);
    const passwd = readFileSync('/etc/passwd', 'utf8');
    const group = readFileSync('/etc/group', 'utf8');
    const taken = (text: string): Set<number> => new Set(text.split('\n').map((l) => Number(l.split(':')[2])));
    const used = new Set([...taken(passwd), ...taken(group)]);
    let uid = 64_000;
    while (used.has(uid)) uid--;
    this.uid = uid;
    const withLine = (text: string, line: string): string => `${text.endsWith('\n') ? text : `${text}\n`}${line}\n`;
    writeFileSync(join(this.dir, 'passwd'), withLine(passwd, `${LAB_USER}:x:${uid}:${uid}:macula test lab:${this.home}:/usr/sbin/nologin`));
    writeFileSync(join(this.dir, 'group'), withLine(group, `${LAB_USER}:x:${uid}:`));
    mkdirSync(this.home, { mode: 0o700 });
    chownSync(this.home, uid, uid);
  }

  /** Whether `path` can be read by the lab user (checked as that uid, outside the namespace: same files). */
  readableByUser(path: string): boolean {
    try {
      execFileSync('setpriv', [`--reuid=${this.uid}`, `--regid=${this.uid}`, '--clear-groups', '--', 'test', '-r', path], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs `argv` as the lab user, in `cwd`, with polkit answering `answer`; the user's environment is only PATH, HOME,
   * TMPDIR and `env`. Killed (with its whole namespace) after `timeoutMs`.
   */
  run(answer: PolkitAnswer, argv: readonly [string, ...string[]], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<LabRun> {
    writeFileSync(join(this.dir, '10-macula-ci.rules'), rule(answer));
    rmSync(join(this.dir, 'polkitd.log'), { force: true });
    if (!existsSync('/run/dbus')) mkdirSync('/run/dbus', { mode: 0o755 });
    const userEnv = ['env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin', `HOME=${this.home}`, `TMPDIR=${this.home}`, ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)];
    const args = ['--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--kill-child', 'bash', SCRIPT, this.dir, ...userEnv, ...argv];
    return new Promise((resolve) => {
      execFile(
        'unshare',
        args,
        { cwd: options.cwd, env: { ...process.env, LAB_UID: String(this.uid) }, timeout: options.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 1 << 24 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          let polkitdLog = '';
          try {
            polkitdLog = readFileSync(join(this.dir, 'polkitd.log'), 'utf8');
          } catch {
            // polkitd never started.
          }
          resolve({ code, stdout, stderr, polkitdLog });
        },
      );
    });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
