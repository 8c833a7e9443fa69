import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Test helper: a throwaway GnuPG home with one real key, driven through the `gpg` binary. */

const run = promisify(execFile);

/** Key algorithms the tests sign with (gpg `--quick-gen-key` algo names). */
export type GpgAlgo = 'ed25519' | 'rsa3072';

/** Options of {@link createGpgHome}. */
export interface GpgHomeOptions {
  readonly algo?: GpgAlgo;
  readonly uid?: string;
  /** gpg expiry, e.g. `1d` or `never`. */
  readonly expire?: string;
  /** Runs key generation and signing at this frozen time (gpg `--faked-system-time`, `YYYYMMDDTHHMMSS`). */
  readonly fakedTime?: string;
}

/** A GnuPG home holding one signing key. */
export interface GpgHome {
  readonly home: string;
  /** Upper-case fingerprint as gpg lists it. */
  readonly fingerprint: string;
  /** Upper-case long key ID as gpg lists it. */
  readonly keyId: string;
  /** `gpg --export --armor` of the public key. */
  readonly publicKeyArmored: string;
  /** `gpg --export` (binary) of the public key. */
  readonly publicKeyBinary: Uint8Array;
  /** `gpg --detach-sign`, armored or binary, optionally in text mode. */
  sign(data: Uint8Array, options?: { armor?: boolean; textmode?: boolean }): Promise<Uint8Array>;
  /** Imports the revocation certificate gpg made at key generation and returns the re-exported, revoked key. */
  revoke(): Promise<string>;
  /** Stops this home's gpg-agent and deletes the home. */
  cleanup(): Promise<void>;
}

/** Generates a key in a fresh GNUPGHOME (mode 700, no passphrase). */
export async function createGpgHome(options: GpgHomeOptions = {}): Promise<GpgHome> {
  const home = await mkdtemp(join(tmpdir(), 'macula-gpg-'));
  await chmod(home, 0o700);
  const env = { ...process.env, GNUPGHOME: home };
  const time = options.fakedTime ? ['--faked-system-time', `${options.fakedTime}!`] : [];
  const gpg = async (...args: string[]): Promise<string> =>
    (await run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...time, ...args], { env, encoding: 'utf8' }))
      .stdout;
  const gpgBytes = async (...args: string[]): Promise<Uint8Array> => {
    const out = join(home, `out-${Math.random().toString(36).slice(2)}`);
    await gpg('--yes', '--output', out, ...args);
    return new Uint8Array(await readFile(out));
  };
  const uid = options.uid ?? 'Test <test@example.invalid>';
  await gpg('--quick-gen-key', uid, options.algo ?? 'ed25519', 'sign', options.expire ?? '1d');
  const colons = await gpg('--with-colons', '--list-keys');
  const fingerprint = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(colons)?.[1];
  const keyId = /^pub:(?:[^:]*:){3}([0-9A-F]{16}):/m.exec(colons)?.[1];
  if (!fingerprint || !keyId) throw new Error(`no key listed by gpg:\n${colons}`);
  let counter = 0;
  return {
    home,
    fingerprint,
    keyId,
    publicKeyArmored: await gpg('--armor', '--export', fingerprint),
    publicKeyBinary: await gpgBytes('--export', fingerprint),
    async sign(data, { armor = false, textmode = false } = {}) {
      const input = join(home, `data-${counter++}`);
      await writeFile(input, data);
      const flags = [...(armor ? ['--armor'] : []), ...(textmode ? ['--textmode'] : [])];
      return gpgBytes('--local-user', fingerprint, ...flags, '--detach-sign', input);
    },
    async revoke() {
      const dir = join(home, 'openpgp-revocs.d');
      const [file] = (await readdir(dir)).filter((f) => f.endsWith('.rev'));
      if (!file) throw new Error('gpg made no revocation certificate');
      // gpg prefixes the armor line with ':' so the certificate is not imported by accident.
      const cert = (await readFile(join(dir, file), 'utf8')).replace(/^:-----BEGIN/m, '-----BEGIN');
      await writeFile(join(home, 'revoke.asc'), cert);
      await run('gpg', ['--batch', '--import', join(home, 'revoke.asc')], { env });
      return gpg('--armor', '--export', fingerprint);
    },
    async cleanup() {
      await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}
