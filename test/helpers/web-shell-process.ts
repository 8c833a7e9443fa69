import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The browser shell's server (test/helpers/web-shell-host.ts) as a child process of the test, for settings Node reads
 * only at start-up or that must not leak into
 * the test process (MACULA_CATALOG_URL, MACULA_ASSETS_DIR, …). `close()` ends it by its own pid.
 */
export interface WebShellProcess {
  /** The shell's tokened URL. */
  readonly url: string;
  /** Everything it printed on stderr so far (for a failing test's message). */
  readonly stderr: () => string;
  close(): Promise<void>;
}

export async function startWebShellProcess(rendererDir: string, env: Readonly<Record<string, string>>, timeoutMs = 60_000): Promise<WebShellProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/helpers/web-shell-host.ts'), rendererDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => void (err += s));
  const close = (): Promise<void> => stop(child);
  try {
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`web shell did not start in ${timeoutMs} ms:\n${err}`)), timeoutMs);
      child.once('exit', (code) => fail(new Error(`web shell exited (${code}) before listening:\n${err}`)));
      if (!child.stdout) return fail(new Error('web shell has no stdout'));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.includes('"url"')) return;
        clearTimeout(timer);
        done((JSON.parse(line) as { url: string }).url);
      });
    });
    return { url, stderr: () => err, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** SIGTERM (the host closes the server), SIGKILL after 10 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
