import { MaculaError, isMaculaError } from '../../shared/errors';
import { parseCommandArgs } from './args';
import type { Command } from './command';
import { catalogCommand } from './commands/catalog';
import { downloadCommand } from './commands/download';
import { drivesCommand } from './commands/drives';
import { inspectCommand } from './commands/inspect';
import { verifyCommand } from './commands/verify';
import { seedCommand } from './commands/seed';
import { flashCommand } from './commands/flash';
import { writeCommand } from './commands/write';
import { discoverCommand } from './commands/discover';
import { fleetCommand } from './commands/fleet';
import { pairCommand } from './commands/pair';
import { EXIT, exitCodeFor } from './exit-codes';
import { createOutput } from './output';

/** Every subcommand, in the order `macula --help` lists them. */
const COMMANDS: Readonly<Record<string, Command>> = {
  catalog: catalogCommand,
  download: downloadCommand,
  verify: verifyCommand,
  inspect: inspectCommand,
  drives: drivesCommand,
  flash: flashCommand,
  write: writeCommand,
  seed: seedCommand,
  discover: discoverCommand,
  fleet: fleetCommand,
  pair: pairCommand,
};

function helpText(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.summary}`);
  return [
    'macula — flash and provision MaculaOS edge nodes',
    '',
    'Commands:',
    ...lines,
    '',
    'Exit codes: 0 ok, 1 internal error, 2 usage error, 3 verification failed (hash or signature),',
    '            4 I/O or network error, 5 invalid input (catalog, archive, image format, seed or bmap),',
    '            6 target refused (system drive, drive holding the image or the app, too small, read-only, missing),',
    '            7 write failed (no space, device failing, read-back mismatch, unmount failed).',
  ].join('\n');
}

/** Runs `macula ARGV…` and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json');
  const out = createOutput(json);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new MaculaError('ERR_ABORTED', 'interrupted'));
  process.once('SIGINT', onSigint);
  try {
    if (!command) throw new MaculaError('ERR_USAGE', `unknown command "${name}"; try: macula --help`);
    const args = parseCommandArgs(rest, command.options, command.usage);
    if (args.flag('help')) {
      process.stdout.write(`usage: ${command.usage}\n  ${command.summary}\n`);
      return EXIT.ok;
    }
    await command.run({ args, out, signal: controller.signal });
    return EXIT.ok;
  } catch (e) {
    out.endProgress();
    const code = isMaculaError(e) ? e.code : 'ERR_INTERNAL';
    const fields = isMaculaError(e) ? { ...e.details } : {};
    out.error(code, e instanceof Error ? e.message : String(e), fields);
    return exitCodeFor(e);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

process.exitCode = await main(process.argv.slice(2));
