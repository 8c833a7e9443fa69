import { MaculaError } from '../../shared/errors';
import type { Seed } from '../../shared/seed';
import type { TargetSeed } from '../engine/app/target-seeds';
import type { Args, OptionSpec } from './args';
import type { Output } from './output';
import { SEED_FLAG_OPTIONS, SEED_FLAG_USAGE, hasSeedFlags } from './seed-flags';

/** Options of `macula flash` that seed the targets: a seed file, or the seed flags of `macula seed`. */
export const FLASH_SEED_OPTIONS: OptionSpec = { seed: { type: 'string' }, ...SEED_FLAG_OPTIONS };
export const FLASH_SEED_USAGE = `[--seed FILE | ${SEED_FLAG_USAGE}]`;

export type { TargetSeed };

/**
 * The seed of each target, from `--seed FILE` or the seed flags: validated, the hostname template expanded per target
 * (`{serial}` from the drive's serial number), a fresh pairing node id and key for each. Undefined when the flash is
 * not seeded. Everything here runs before a byte is written, so a bad seed refuses the whole flash.
 */
export async function chooseSeeds(args: Args, targets: readonly string[], out: Output): Promise<TargetSeed[] | undefined> {
  const file = args.string('seed');
  // An unseeded flash loads none of the seed modules (YAML, the seed schema, the state partition's libraries).
  if (file === undefined && !hasSeedFlags(args)) return undefined;
  const { readSeedFile, seedFromFlags } = await import('./commands/seed');
  const { seedWarnings } = await import('../../shared/seed');
  const { expandTargetSeeds } = await import('../engine/app/target-seeds');
  const fromFlags = await seedFromFlags(args);
  if (file !== undefined && fromFlags !== undefined) {
    throw new MaculaError('ERR_USAGE', '--seed FILE and seed flags (--hostname, --timezone, …) cannot be combined: put everything in the file');
  }
  const base: Seed | undefined = file !== undefined ? await readSeedFile(file) : fromFlags;
  if (base === undefined) return undefined;
  for (const message of seedWarnings(base)) out.event('warning', { message }, `warning: ${message}`);
  // Expanded by the same code as the app's flashes (engine/app/target-seeds.ts).
  return expandTargetSeeds(base, targets);
}
