import { randomBytes } from 'node:crypto';
import type { Seed } from '../../../shared/seed';
import { expandSeeds } from '../../../shared/seed-batch';
import { seedToYaml } from '../../../shared/seed-yaml';
import { driveSerial } from '../drives/util-linux';

/** One target's seed, ready to write, and what may be said about it; `pairingKey` only goes to the fleet inventory. */
export interface TargetSeed {
  readonly yaml: string;
  readonly hostname: string | undefined;
  readonly nodeId: string;
  /** Secret: written to the inventory's 0600 key file after a successful flash, never shown or logged. */
  readonly pairingKey: string;
}

/**
 * The seed of each target (CLI and app alike): the hostname template expanded per target (`{serial}` from the drive's
 * serial number), a fresh pairing node id and key for each from the OS's CSPRNG. Runs before a byte is written, so a
 * template that fails for one target refuses the whole flash.
 */
export async function expandTargetSeeds(base: Seed, targets: readonly string[]): Promise<TargetSeed[]> {
  const serials = base.hostname?.includes('{serial}') ? await Promise.all(targets.map(driveSerial)) : undefined;
  const seeds = expandSeeds(base, targets.length, { ...(serials ? { serials } : {}), random: (n) => randomBytes(n) });
  return seeds.map((seed) => {
    const pairing = seed.maculaos.pairing;
    // expandSeeds gives every seed a pairing; a seed without one would be a bug there.
    if (!pairing?.node_id || !pairing.key) throw new Error('expandSeeds returned a seed without a pairing');
    return { yaml: seedToYaml(seed), hostname: seed.hostname, nodeId: pairing.node_id, pairingKey: pairing.key };
  });
}
