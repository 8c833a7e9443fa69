import { readFile } from 'node:fs/promises';
import { readKeys, type PublicKey } from 'openpgp';
import { MaculaError } from '../../../shared/errors';
import { assetPath } from '../assets';
import { isArmored } from './armor';

/** Where the pinned release key ships, relative to `assets/`. */
export const RELEASE_KEY_ASSET = 'release-key.asc';

// RFC 9580 §6.2: transferable keys are armored as PUBLIC KEY BLOCK (or PRIVATE KEY BLOCK for secret keys).
const KEY_BLOCK = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g;
// A GnuPG keybox (pubring.kbx) carries the magic "KBXf" at offset 8 of its first blob; openpgp cannot read it.
const KEYBOX_MAGIC = 'KBXf';

/** Options of {@link loadTrustedKeys}. */
export interface LoadTrustedKeysOptions {
  /** Extra keys the user trusts: an armored or binary file of one or many public keys. */
  readonly userKeyringPath?: string;
}

/**
 * The keys release signatures are checked against: the pinned release key from `assets/`, then every key of the
 * optional user keyring. A key present in both is merged (so a user-supplied revocation of it takes effect).
 * A garbled file → ERR_KEY_INVALID naming the path; an unreadable one → ERR_IO.
 */
export async function loadTrustedKeys(options: LoadTrustedKeysOptions = {}): Promise<PublicKey[]> {
  const byFingerprint = new Map<string, PublicKey>();
  const paths = [assetPath(RELEASE_KEY_ASSET)];
  if (options.userKeyringPath !== undefined) paths.push(options.userKeyringPath);
  for (const path of paths) {
    for (const key of await readKeyFile(path)) {
      const fingerprint = key.getFingerprint();
      const known = byFingerprint.get(fingerprint);
      byFingerprint.set(fingerprint, known ? await merge(known, key, path) : key);
    }
  }
  return [...byFingerprint.values()];
}

/** Every public key in an armored (one or several blocks) or binary key file. */
export async function readKeyFile(path: string): Promise<PublicKey[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new MaculaError('ERR_IO', `cannot read key file ${path}: ${messageOf(cause)}`, { path }, { cause });
  }
  if (new TextDecoder('latin1').decode(bytes.subarray(8, 12)) === KEYBOX_MAGIC) {
    throw invalid(path, 'is a GnuPG keybox; export the keys with `gpg --export KEYID > file` and use that file');
  }
  try {
    const keys = isArmored(bytes) ? await readArmored(new TextDecoder().decode(bytes)) : await readKeys({ binaryKeys: bytes });
    if (keys.length === 0) throw new Error('no keys found');
    return keys.map((key) => key.toPublic());
  } catch (cause) {
    if (cause instanceof MaculaError) throw cause;
    throw invalid(path, `is not an OpenPGP key file (${messageOf(cause)})`, cause);
  }
}

async function readArmored(text: string): Promise<PublicKey[]> {
  const blocks = text.match(KEY_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error('no complete armored key block');
  const keys: PublicKey[] = [];
  for (const armoredKeys of blocks) keys.push(...(await readKeys({ armoredKeys })));
  return keys;
}

async function merge(known: PublicKey, extra: PublicKey, path: string): Promise<PublicKey> {
  try {
    return await known.update(extra);
  } catch (cause) {
    throw invalid(path, `has a copy of key ${known.getFingerprint().toUpperCase()} that cannot be merged`, cause);
  }
}

function invalid(path: string, why: string, cause?: unknown): MaculaError {
  return new MaculaError('ERR_KEY_INVALID', `key file ${path} ${why}`, { path }, { cause });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
