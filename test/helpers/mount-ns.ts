import { type CliResult, maculaArgv, runCollecting } from './cli';

/**
 * Runs the `macula` CLI inside a private mount namespace of its own (`unshare --mount`, propagation private: nothing
 * mounted in there is seen outside, and the host's mounts stay as they are) after `setup`, a shell script of mount
 * commands run in that namespace first. The namespace, and every mount made in it, goes when the CLI exits. Needs root.
 */
export function maculaInMountNamespace(setup: string, args: readonly string[]): Promise<CliResult> {
  const script = `set -e\n${setup}\nexec "$@"`;
  return runCollecting(['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', ...maculaArgv(args)]);
}
