import { randomBytes } from 'node:crypto';
import type { Seed } from '../../../shared/seed';
import { expandSeeds } from '../../../shared/seed-batch';
import { seedToYaml } from '../../../shared/seed-yaml';
import { driveSerial } from '../drives/util-linux';

/** One target's seed, ready to write, and what may be said about it (never its secrets). */
export interface TargetSeed {
  readonly yaml: string;
  readonly hostname: string | undefined;
  readonly nodeId: string;
}

/**
 * The seed of each target (CLI and app alike): the hostname template expanded per target (`{serial}` from the drive's
 * serial number), a fresh pairing node id and key for each from the OS's CSPRNG. Runs before a byte is written, so a
 * template that fails for one target refuses the whole flash.
 */
export async function expandTargetSeeds(base: Seed, targets: readonly string[]): Promise<TargetSeed[]> {
  const serials = base.hostname?.includes('{serial}') ? await Promise.all(targets.map(driveSerial)) : undefined;
  const seeds = expandSeeds(base, targets.length, { ...(serials ? { serials } : {}), random: (n) => randomBytes(n) });
  return seeds.map((seed) => ({ yaml: seedToYaml(seed), hostname: seed.hostname, nodeId: seed.maculaos.pairing?.node_id ?? '' }));
}
