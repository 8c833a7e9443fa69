import type { Seed } from '../../shared/seed';
import type { Change, PlanPart } from './changes';

/**
 * The seed's `boot_cmd` and `run_cmd` (k3OS cloud-config: boot_cmd early at every boot, run_cmd at every boot once the
 * network is up) as POSIX shell scripts under the run directory, run by maculaos-boot-cmd.service and
 * maculaos-run-cmd.service with /bin/sh. A script rather than Node: Node takes seconds to start under emulation, sh
 * milliseconds, and the units start only when the script exists (nothing to run, nothing started).
 */

export type CommandPhase = 'init_cmd' | 'boot_cmd' | 'run_cmd';

/** `s` as one single-quoted sh word (POSIX.1-2017 XCU §2.2.2): `'` becomes `'\''`. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/**
 * The script for one phase. Each command runs in its own `/bin/sh -c`, in order; its output (stdout and stderr) is
 * prefixed `boot_cmd[N]: ` line by line; a failing command is reported and the next one still runs; the script itself
 * always exits 0, so a bad command never fails the boot. The commands' text is never printed: it may hold a secret.
 * dash has no `pipefail`, so the exit status comes back through fd 3 (the `$( )`), the output through fd 4.
 */
export function commandScript(phase: CommandPhase, commands: readonly string[]): string {
  const lines = [
    '#!/bin/sh',
    `# The seed's ${phase}, written by maculaos-seed from config.yaml at every boot. Do not edit: it is rewritten.`,
    'exec 4>&1',
    'failed=0',
    'maculaos_run() {',
    // fds 3 and 4 closed for the command: a daemon it leaves behind must not hold the status pipe open.
    '  status=$( { { /bin/sh -c "$2" 2>&1 3>&- 4>&-; echo $? >&3; } | sed -u "s/^/$1: /" >&4; } 3>&1 )',
    '  if [ "$status" != 0 ]; then',
    '    failed=$((failed + 1))',
    `    echo "MACULAOS: $1 failed with exit status $status; the next commands still run"`,
    '  fi',
    '}',
    ...commands.map((c, i) => `maculaos_run '${phase}[${i + 1}]' ${shellQuote(c)}`),
    `echo "MACULAOS: ${phase} done: ${commands.length} command${commands.length === 1 ? '' : 's'}, $failed failed"`,
    'exit 0',
    '',
  ];
  return lines.join('\n');
}

/** Plans both phases: a script (0600: commands may hold secrets) for each non-empty list; counts in the summary. */
export function planCommands(seed: Seed, runDir: string): PlanPart {
  const changes: Change[] = [];
  const summary: Record<string, string> = {};
  for (const phase of ['boot_cmd', 'run_cmd'] as const) {
    const commands = seed[phase] ?? [];
    if (commands.length === 0) continue;
    changes.push({ kind: 'file', path: `${runDir}/${phase}.sh`, content: commandScript(phase, commands), mode: 0o600 });
    summary[phase] = String(commands.length);
  }
  return { changes, summary };
}

/**
 * The seed's `init_cmd` (k3OS: run first, before the rest of the config): a script the applier runs itself before it
 * makes any other change, so an init command sees the node as the image left it, and its effects come before
 * boot_cmd's and run_cmd's. Same script shape as the other phases: output prefixed, failures reported, never fatal.
 */
export function planInitCmd(seed: Seed, runDir: string): PlanPart {
  const commands = seed.init_cmd ?? [];
  if (commands.length === 0) return { changes: [], summary: {} };
  return {
    changes: [{ kind: 'run', path: `${runDir}/init_cmd.sh`, script: commandScript('init_cmd', commands) }],
    summary: { init_cmd: String(commands.length) },
  };
}
