import { MaculaError, isMaculaError } from '../../shared/errors';
import { parseCommandArgs } from './args';
import type { Command } from './command';
import { EXIT, EXIT_MEANINGS, exitCodeFor } from './exit-codes';
import { createOutput } from './output';

/**
 * Every subcommand, in the order `macula --help` lists them, each loaded only when it is run: a command's modules
 * (and their npm packages: sqlite, mDNS, OpenPGP, QR codes…) cost resident memory once imported, and `macula flash`
 * is meant to stay within 100 MB (issue 3).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  catalog: async () => (await import('./commands/catalog')).catalogCommand,
  download: async () => (await import('./commands/download')).downloadCommand,
  verify: async () => (await import('./commands/verify')).verifyCommand,
  inspect: async () => (await import('./commands/inspect')).inspectCommand,
  drives: async () => (await import('./commands/drives')).drivesCommand,
  flash: async () => (await import('./commands/flash')).flashCommand,
  write: async () => (await import('./commands/write')).writeCommand,
  seed: async () => (await import('./commands/seed')).seedCommand,
  check: async () => (await import('./commands/check')).checkCommand,
  clone: async () => (await import('./commands/clone')).cloneCommand,
  restore: async () => (await import('./commands/restore')).restoreCommand,
  discover: async () => (await import('./commands/discover')).discoverCommand,
  fleet: async () => (await import('./commands/fleet')).fleetCommand,
  pair: async () => (await import('./commands/pair')).pairCommand,
  adopt: async () => (await import('./commands/adopt')).adoptCommand,
};

async function helpText(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const lines = commands.map((c) => `  ${c.usage}\n      ${c.summary}`);
  return [
    'macula — flash and provision MaculaOS edge nodes',
    '',
    'Commands:',
    ...lines,
    '',
    'Exit codes:',
    ...Object.entries(EXIT_MEANINGS).map(([code, meaning]) => `  ${code}  ${meaning}`),
  ].join('\n');
}

/** Runs `macula ARGV…` and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json');
  const out = createOutput(json);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${await helpText()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new MaculaError('ERR_ABORTED', 'interrupted'));
  process.once('SIGINT', onSigint);
  try {
    if (!load) throw new MaculaError('ERR_USAGE', `unknown command "${name}"; try: macula --help`);
    const command = await load();
    const args = parseCommandArgs(rest, command.options, command.usage);
    if (args.flag('help')) {
      process.stdout.write(`usage: ${command.usage}\n  ${command.summary}\n`);
      return EXIT.ok;
    }
    const run = (): Promise<void> => command.run({ args, out, signal: controller.signal });
    if (command.keepsAwake === undefined) await run();
    else {
      const { keptAwake, processInhibitor } = await import('../engine/app/sleep-inhibitor');
      await keptAwake(processInhibitor(), command.keepsAwake, run);
    }
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
