import { MaculaError } from '../../shared/errors';
import type { Seed } from '../../shared/seed';
import type { MintTokens, TargetSeed } from '../engine/app/target-seeds';
import type { Args, OptionSpec } from './args';
import { caOption } from './ca-option';
import type { Output } from './output';
import { SEED_FLAG_OPTIONS, SEED_FLAG_USAGE, hasSeedFlags } from './seed-flags';

/** Options of `macula flash` that seed the targets: a seed file, or the seed flags of `macula seed`; a Portal sign-in. */
export const FLASH_SEED_OPTIONS: OptionSpec = { seed: { type: 'string' }, 'portal-sign-in': { type: 'boolean' }, ...SEED_FLAG_OPTIONS };
export const FLASH_SEED_USAGE = `[--seed FILE | ${SEED_FLAG_USAGE}] [--portal-sign-in]`;

export type { TargetSeed };

/**
 * `--portal-sign-in`: the device flow (RFC 8628) on this terminal — user code and link printed, approved on the Portal
 * from any browser — then a minter of one enrollment token per target, each for its node id. `--ca` is trusted for a
 * self-hosted Portal.
 */
async function portalSignIn(args: Args, base: Seed, out: Output, signal: AbortSignal): Promise<MintTokens> {
  const portal = base.maculaos.portal;
  if (portal?.enrollment_token !== undefined) {
    throw new MaculaError('ERR_USAGE', '--portal-sign-in mints one enrollment token per target: leave out --portal-token (or the seed file\'s enrollment_token)');
  }
  if (portal?.url === undefined) throw new MaculaError('ERR_USAGE', '--portal-sign-in needs the Portal: give --portal-url (or maculaos.portal.url in the seed file)');
  const { signInToPortal } = await import('../engine/portal/desktop-sign-in');
  const session = await signInToPortal({
    portalUrl: portal.url,
    signal,
    ...(await caOption(args)),
    onCodes: (codes) =>
      out.event(
        'user_code',
        { user_code: codes.user_code, verification_uri: codes.verification_uri, verification_uri_complete: codes.verification_uri_complete, expires_in: codes.expires_in },
        `Sign in to the Portal: open ${codes.verification_uri} and enter the code ${codes.user_code} (or open ${codes.verification_uri_complete}); it expires in ${Math.round(codes.expires_in / 60)} min`,
      ),
  });
  out.event('signed_in', { user_name: session.userName, org_identity: session.orgIdentity }, `Signed in to the Portal as ${session.userName} (${session.orgIdentity})`);
  // The sign-in ran against the seed's own Portal URL, the one the tokens are seeded with.
  return async (nodes) => {
    const minted = await session.mintEnrollmentTokens(nodes, signal);
    const ids = minted.map((m) => m.nodeId);
    out.event('enrollment_tokens', { count: minted.length, nodeIds: ids }, `Minted ${minted.length} enrollment token${minted.length === 1 ? '' : 's'}, one per node`);
    return minted;
  };
}

/**
 * The seed of each target, from `--seed FILE` or the seed flags: validated, the hostname template expanded per target
 * (`{serial}` from the drive's serial number), a fresh pairing node id and key for each, and with `--portal-sign-in`
 * an enrollment token minted for each. Undefined when the flash is not seeded. Everything here runs before a byte is
 * written, so a bad seed (a pasted single-use token for several targets among them) refuses the whole flash.
 */
export async function chooseSeeds(args: Args, targets: readonly string[], out: Output, signal: AbortSignal): Promise<TargetSeed[] | undefined> {
  const file = args.string('seed');
  const signIn = args.flag('portal-sign-in');
  // An unseeded flash loads none of the seed modules (YAML, the seed schema, the state partition's libraries).
  if (file === undefined && !hasSeedFlags(args)) {
    if (signIn) throw new MaculaError('ERR_USAGE', '--portal-sign-in needs a seed: give --portal-url (and other seed flags) or --seed FILE');
    return undefined;
  }
  const { readSeedFile, seedFromFlags } = await import('./commands/seed');
  const { seedWarnings } = await import('../../shared/seed');
  const { expandTargetSeeds } = await import('../engine/app/target-seeds');
  const fromFlags = await seedFromFlags(args);
  if (file !== undefined && fromFlags !== undefined) {
    throw new MaculaError('ERR_USAGE', '--seed FILE and seed flags (--hostname, --timezone, …) cannot be combined: put everything in the file');
  }
  const base: Seed | undefined = file !== undefined ? await readSeedFile(file) : fromFlags;
  if (base === undefined) return undefined;
  for (const message of seedWarnings(base)) {
    // A seed without a token is what a sign-in fills: no warning then.
    if (!(signIn && message.startsWith('portal.url without'))) out.event('warning', { message }, `warning: ${message}`);
  }
  const mint = signIn ? await portalSignIn(args, base, out, signal) : undefined;
  // Expanded by the same code as the app's flashes (engine/app/target-seeds.ts).
  return expandTargetSeeds(base, targets, mint);
}
