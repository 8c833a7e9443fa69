import { randomBytes } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import type { Seed } from '../../../shared/seed';
import { expandSeeds } from '../../../shared/seed-batch';
import { seedToYaml } from '../../../shared/seed-yaml';
import { driveSerial } from '../drives/util-linux';
import type { MintedToken, TokenTarget } from '../portal/desktop-sign-in';

/** One target's seed, ready to write, and what may be said about it; `pairingKey` only goes to the fleet inventory. */
export interface TargetSeed {
  readonly yaml: string;
  readonly hostname: string | undefined;
  readonly nodeId: string;
  /** Secret: written to the inventory's 0600 key file after a successful flash, never shown or logged. */
  readonly pairingKey: string;
}

/**
 * Mints one enrollment token per node, in order, for the Portal at `portalUrl` (the seed's): a signed-in Portal
 * session's `mintEnrollmentTokens`, which refuses another Portal than its own.
 */
export type MintTokens = (nodes: readonly TokenTarget[], portalUrl: string) => Promise<readonly MintedToken[]>;

/** Puts each node's own minted token into its seed; refuses a seed that has no Portal URL or already holds a token. */
async function withMintedTokens(seeds: readonly Seed[], mint: MintTokens): Promise<Seed[]> {
  const portal = seeds[0]?.maculaos.portal;
  if (portal?.url === undefined) {
    throw new MaculaError('ERR_SEED_INVALID', 'maculaos.portal.url: give the Portal URL the enrollment tokens are for', { field: 'maculaos.portal.url' });
  }
  if (portal.enrollment_token !== undefined) {
    throw new MaculaError('ERR_USAGE', 'a pasted enrollment token and a Portal sign-in cannot both be used: the sign-in mints one token per node', {
      field: 'maculaos.portal.enrollment_token',
    });
  }
  const nodes = seeds.map((s) => ({ nodeId: s.maculaos.pairing?.node_id ?? '', hostname: s.hostname }));
  const minted = await mint(nodes, portal.url);
  return seeds.map((seed, i) => {
    const token = minted[i];
    // The Portal binds each token to its node id: a token seeded into another node would be refused at first boot.
    if (token === undefined || token.nodeId !== nodes[i]?.nodeId) throw new Error('minted tokens do not match the targets one to one');
    return { ...seed, maculaos: { ...seed.maculaos, portal: { url: portal.url, enrollment_token: token.enrollmentToken } } };
  });
}

/**
 * The seed of each target (CLI and app alike): the hostname template expanded per target (`{serial}` from the drive's
 * serial number), a fresh pairing node id and key for each from the OS's CSPRNG, and, when `mint` is given (a Portal
 * sign-in), an enrollment token minted for each node. Runs before a byte is written, so a template that fails for one
 * target, or a Portal that will not mint, refuses the whole flash.
 */
export async function expandTargetSeeds(base: Seed, targets: readonly string[], mint?: MintTokens): Promise<TargetSeed[]> {
  const serials = base.hostname?.includes('{serial}') ? await Promise.all(targets.map(driveSerial)) : undefined;
  const expanded = expandSeeds(base, targets.length, { ...(serials ? { serials } : {}), random: (n) => randomBytes(n) });
  const seeds = mint ? await withMintedTokens(expanded, mint) : expanded;
  return seeds.map((seed) => {
    const pairing = seed.maculaos.pairing;
    // expandSeeds gives every seed a pairing; a seed without one would be a bug there.
    if (!pairing?.node_id || !pairing.key) throw new Error('expandSeeds returned a seed without a pairing');
    return { yaml: seedToYaml(seed), hostname: seed.hostname, nodeId: pairing.node_id, pairingKey: pairing.key };
  });
}
