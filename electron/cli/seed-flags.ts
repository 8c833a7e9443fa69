import type { Args, OptionSpec } from './args';

/*
 * Apart from commands/seed.ts, which loads the YAML, seed schema and state-partition modules: `macula flash` declares
 * these options, and loads those modules only when a seed is given.
 */

/** Options that build a seed on the command line (for `macula flash`). */
export const SEED_FLAG_OPTIONS: OptionSpec = {
  hostname: { type: 'string' },
  timezone: { type: 'string' },
  keyboard: { type: 'string' },
  locale: { type: 'string' },
  'mesh-role': { type: 'string', multiple: true },
  'portal-url': { type: 'string' },
  'portal-token': { type: 'string' },
  'ssh-key': { type: 'string', multiple: true },
};

export const SEED_FLAG_USAGE =
  '[--hostname H] [--timezone TZ] [--keyboard K] [--locale L] [--mesh-role bootstrap|relay …] [--portal-url U] [--portal-token @FILE] [--ssh-key KEY|@FILE …]';

/** Whether any seed flag is given. */
export function hasSeedFlags(args: Args): boolean {
  return Object.keys(SEED_FLAG_OPTIONS).some((k) => args.string(k) !== undefined || args.strings(k).length > 0);
}
