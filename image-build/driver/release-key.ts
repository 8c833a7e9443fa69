import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Exports the public half of the signing key (`--sign-key`, from $GNUPGHOME) as a binary OpenPGP keyring (RFC 9580
 * transferable public key), which gpgv reads with --keyring: what the netboot initrd trusts SHA256SUMS.asc against.
 */
export async function exportReleaseKey(signKey: string, env: NodeJS.ProcessEnv, out: string): Promise<void> {
  const { stdout } = await run('gpg', ['--batch', '--export', signKey], { env, encoding: 'buffer', maxBuffer: 1 << 24 });
  // gpg exits 0 with no output for a key it does not have.
  if (stdout.length === 0) throw new Error(`--sign-key ${signKey}: no such public key in GnuPG's keyring (GNUPGHOME=${env.GNUPGHOME ?? '~/.gnupg'})`);
  await writeFile(out, stdout);
}
