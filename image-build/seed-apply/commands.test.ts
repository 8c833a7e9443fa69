import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandScript, shellQuote } from './commands';

const run = promisify(execFile);

/** The generated scripts run by the host's /bin/sh, as the node runs them. */
describe('commandScript', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seed-cmd-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the script; execFile rejects on a non-zero exit, so resolving means it exited 0. */
  async function runScript(commands: string[]): Promise<{ stdout: string }> {
    const script = join(dir, 'script.sh');
    await writeFile(script, commandScript('run_cmd', commands));
    const { stdout } = await run('/bin/sh', [script], { cwd: dir });
    return { stdout };
  }

  it('runs every command in order with prefixed output, reports a failure and goes on, exits 0', async () => {
    const marker = join(dir, 'order');
    const { stdout } = await runScript([`echo first >> ${marker}`, 'echo out; echo err >&2; exit 3', `echo third >> ${marker}; echo done`]);
    expect(await readFile(marker, 'utf8')).toBe('first\nthird\n');
    expect(stdout).toContain('run_cmd[2]: out\n');
    expect(stdout).toContain('run_cmd[2]: err\n');
    expect(stdout).toContain('MACULAOS: run_cmd[2] failed with exit status 3; the next commands still run\n');
    expect(stdout).toContain('run_cmd[3]: done\n');
    expect(stdout).toMatch(/MACULAOS: run_cmd done: 3 commands, 1 failed\n$/);
  });

  it('never prints the text of a command, and quotes anything the seed holds', async () => {
    const tricky = `printf '%s\\n' "it's \\$HOME" 'a"b' >/dev/null; true # s3cr3t`;
    const { stdout } = await runScript([tricky, "exit 0 # ' unbalanced"]);
    expect(stdout).not.toContain('s3cr3t');
    expect(stdout).not.toContain('unbalanced');
    expect(stdout).toMatch(/run_cmd done: 2 commands, 0 failed/);
  });

  it('does not wait for a daemon a command leaves behind once its output is closed', async () => {
    const started = Date.now();
    await runScript(['sleep 30 >/dev/null 2>&1 &', 'true']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('quotes single quotes POSIX-style', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});
