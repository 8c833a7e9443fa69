import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON lines (for `--json` runs). */
  readonly events: Record<string, unknown>[];
}

/** The command line that runs the `macula` CLI from the sources (program first), e.g. to run it under another tool. */
export function maculaArgv(args: readonly string[]): string[] {
  return [process.execPath, '--import', 'tsx', resolve(repo, 'electron/cli/macula.ts'), ...args];
}

/** Runs `argv` (program first) in the repository, collecting its exit code, output and JSON-lines events. */
export function runCollecting(argv: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const [program, ...rest] = argv;
  return new Promise((ok) => {
    execFile(
      program ?? '',
      rest,
      { cwd: repo, env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const events = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        ok({ code, stdout, stderr, events });
      },
    );
  });
}

/** Runs the `macula` CLI from the sources as a real child process, the way a user or script would. */
export function macula(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCollecting(maculaArgv(args), env);
}
