import { randomBytes } from 'node:crypto';
import { MaculaError } from '../../shared/errors';
import { type Seed, seedWarnings } from '../../shared/seed';
import { expandSeeds } from '../../shared/seed-batch';
import { seedToYaml } from '../../shared/seed-yaml';
import { driveSerial } from '../engine/drives/util-linux';
import type { Args, OptionSpec } from './args';
import { SEED_FLAG_OPTIONS, SEED_FLAG_USAGE, readSeedFile, seedFromFlags } from './commands/seed';
import type { Output } from './output';

/** Options of `macula flash` that seed the targets: a seed file, or the seed flags of `macula seed`. */
export const FLASH_SEED_OPTIONS: OptionSpec = { seed: { type: 'string' }, ...SEED_FLAG_OPTIONS };
export const FLASH_SEED_USAGE = `[--seed FILE | ${SEED_FLAG_USAGE}]`;

/** One target's seed, ready to write, and what may be said about it (never its secrets). */
export interface TargetSeed {
  readonly yaml: string;
  readonly hostname: string | undefined;
  readonly nodeId: string;
}

/**
 * The seed of each target, from `--seed FILE` or the seed flags: validated, the hostname template expanded per target
 * (`{serial}` from the drive's serial number), a fresh pairing node id and key for each. Undefined when the flash is
 * not seeded. Everything here runs before a byte is written, so a bad seed refuses the whole flash.
 */
export async function chooseSeeds(args: Args, targets: readonly string[], out: Output): Promise<TargetSeed[] | undefined> {
  const file = args.string('seed');
  const fromFlags = await seedFromFlags(args);
  if (file !== undefined && fromFlags !== undefined) {
    throw new MaculaError('ERR_USAGE', '--seed FILE and seed flags (--hostname, --timezone, …) cannot be combined: put everything in the file');
  }
  const base: Seed | undefined = file !== undefined ? await readSeedFile(file) : fromFlags;
  if (base === undefined) return undefined;
  for (const message of seedWarnings(base)) out.event('warning', { message }, `warning: ${message}`);
  const serials = base.hostname?.includes('{serial}') ? await Promise.all(targets.map(driveSerial)) : undefined;
  const seeds = expandSeeds(base, targets.length, { ...(serials ? { serials } : {}), random: (n) => randomBytes(n) });
  return seeds.map((seed) => ({ yaml: seedToYaml(seed), hostname: seed.hostname, nodeId: seed.maculaos.pairing?.node_id ?? '' }));
}
