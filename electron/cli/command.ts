import type { Args, OptionSpec } from './args';
import type { Output } from './output';

/** What a command receives: its parsed arguments, where to report, and a signal that fires on Ctrl-C. */
export interface CommandContext {
  readonly args: Args;
  readonly out: Output;
  readonly signal: AbortSignal;
}

/** A CLI subcommand: its usage line, one-line summary, options, and what it does. */
export interface Command {
  readonly usage: string;
  readonly summary: string;
  readonly options: OptionSpec;
  /** Why the computer must not sleep while this command runs (a download, a flash), if it must not. */
  readonly keepsAwake?: string;
  run(ctx: CommandContext): Promise<void>;
}
