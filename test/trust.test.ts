import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  config,
  enums,
  generateKey,
  PacketList,
  readKeys,
  Signature,
  SignaturePacket,
  type PublicKey,
} from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaculaError, type MaculaErrorCode } from '../shared/errors';
import { assetPath } from '../electron/engine/assets';
import { loadTrustedKeys, RELEASE_KEY_ASSET } from '../electron/engine/trust/keyring';
import { verifyDetachedSignature } from '../electron/engine/trust/signature';
import { hashFile, verifyImageAgainstSums, verifySignedSums } from '../electron/engine/trust/verify-release';
import { createGpgHome, type GpgHome } from './helpers/gpg';

const run = promisify(execFile);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The code of the MaculaError a promise rejects with (fails the test on success or a foreign error). */
async function rejection(p: Promise<unknown>): Promise<MaculaError> {
  const e: unknown = await p.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  if (!(e instanceof MaculaError)) throw e;
  return e;
}

function expectCode(e: MaculaError, code: MaculaErrorCode): void {
  expect({ code: e.code, message: e.message }).toMatchObject({ code });
}

let dir: string;
let ed: GpgHome;
let rsa: GpgHome;
let stranger: GpgHome;
let sums: Uint8Array;
let image: string;
let imageSha: string;
let pinned: PublicKey[];
let edKeys: PublicKey[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'macula-trust-'));
  [ed, rsa, stranger] = await Promise.all([
    createGpgHome({ uid: 'Test <test@example.invalid>' }),
    createGpgHome({ algo: 'rsa3072', uid: 'Test RSA <rsa@example.invalid>' }),
    createGpgHome({ uid: 'Stranger <stranger@example.invalid>' }),
  ]);
  image = join(dir, 'macula-1.0.iso');
  await writeFile(image, utf8('MaculaOS image bytes\n'.repeat(5000)));
  await writeFile(join(dir, 'other.img'), utf8('other\n'));
  // Real coreutils output, so the parser is checked against the tool that writes release sums.
  const gnu = await run('sha256sum', ['macula-1.0.iso', 'other.img'], { cwd: dir });
  imageSha = gnu.stdout.slice(0, 64);
  sums = utf8(gnu.stdout);
  pinned = await loadTrustedKeys();
  const edKeyring = join(dir, 'ed.asc');
  await writeFile(edKeyring, ed.publicKeyArmored);
  edKeys = await loadTrustedKeys({ userKeyringPath: edKeyring });
});

afterAll(async () => {
  await Promise.all([ed, rsa, stranger].map((h) => h?.cleanup()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('verifyDetachedSignature with signatures made by gpg', () => {
  it.each([
    ['armored', true],
    ['binary', false],
  ])('accepts an %s ed25519 signature and reports gpg’s fingerprint', async (_form, armor) => {
    const signature = await ed.sign(sums, { armor });
    expect(new TextDecoder().decode(signature).startsWith('-----BEGIN PGP SIGNATURE-----')).toBe(armor);
    const check = await verifyDetachedSignature({ data: sums, signature, keys: edKeys });
    expect(check.fingerprint).toBe(ed.fingerprint);
    expect(check.keyId).toBe(ed.keyId);
    expect(Math.abs(check.created.getTime() - Date.now())).toBeLessThan(5 * 60_000);
  });

  it('accepts an RSA-3072 signature', async () => {
    const keys = [...edKeys, ...(await readKeys({ armoredKeys: rsa.publicKeyArmored }))];
    const check = await verifyDetachedSignature({ data: sums, signature: await rsa.sign(sums), keys });
    expect(check.fingerprint).toBe(rsa.fingerprint);
  });

  it('accepts a text-mode signature (gpg --textmode)', async () => {
    const signature = await ed.sign(sums, { armor: true, textmode: true });
    expect((await verifyDetachedSignature({ data: sums, signature, keys: edKeys })).fingerprint).toBe(ed.fingerprint);
  });

  it('refuses altered data as ERR_SIGNATURE_INVALID', async () => {
    const signature = await ed.sign(sums, { armor: true });
    const tampered = utf8(new TextDecoder().decode(sums).replace(imageSha, imageSha.replace(/^./, (c) => (c === '0' ? '1' : '0'))));
    const e = await rejection(verifyDetachedSignature({ data: tampered, signature, keys: edKeys }));
    expectCode(e, 'ERR_SIGNATURE_INVALID');
    expect(e.message).toMatch(/does not match the data/);
  });

  it('refuses a signature by an untrusted key as ERR_SIGNATURE_UNKNOWN_KEY naming its key ID', async () => {
    const e = await rejection(verifyDetachedSignature({ data: sums, signature: await stranger.sign(sums), keys: edKeys }));
    expectCode(e, 'ERR_SIGNATURE_UNKNOWN_KEY');
    expect(e.message).toContain(stranger.keyId);
  });

  it.each([
    ['empty', new Uint8Array()],
    ['whitespace only', utf8(' \n\r\n')],
    ['absent', undefined],
  ])('refuses an %s signature as ERR_SIGNATURE_MISSING', async (_what, signature) => {
    expectCode(await rejection(verifyDetachedSignature({ data: sums, signature, keys: edKeys })), 'ERR_SIGNATURE_MISSING');
  });

  it.each([
    ['random bytes', Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) % 256)],
    ['an HTML error page', utf8('<html><body>404 Not Found</body></html>')],
    ['armor with a garbled body', utf8('-----BEGIN PGP SIGNATURE-----\n\nAAAAnotbase64!!\n-----END PGP SIGNATURE-----\n')],
  ])('refuses %s as ERR_SIGNATURE_MALFORMED', async (_what, signature) => {
    expectCode(await rejection(verifyDetachedSignature({ data: sums, signature, keys: edKeys })), 'ERR_SIGNATURE_MALFORMED');
  });

  it('refuses a public key passed as the signature as ERR_SIGNATURE_MALFORMED', async () => {
    const e = await rejection(verifyDetachedSignature({ data: sums, signature: utf8(ed.publicKeyArmored), keys: edKeys }));
    expectCode(e, 'ERR_SIGNATURE_MALFORMED');
  });

  it('refuses a truncated binary signature as ERR_SIGNATURE_MALFORMED', async () => {
    const signature = (await ed.sign(sums)).subarray(0, 20);
    expectCode(await rejection(verifyDetachedSignature({ data: sums, signature, keys: edKeys })), 'ERR_SIGNATURE_MALFORMED');
  });

  it('refuses a standalone signature (which covers no data) as ERR_SIGNATURE_INVALID', async () => {
    const { privateKey } = await generateKey({ userIDs: [{ name: 'S' }], format: 'object' });
    const packet = new SignaturePacket();
    packet.signatureType = enums.signature.standalone;
    packet.hashAlgorithm = enums.hash.sha256;
    packet.publicKeyAlgorithm = privateKey.keyPacket.algorithm;
    packet.issuerKeyID = privateKey.getKeyID();
    packet.issuerFingerprint = privateKey.keyPacket.getFingerprintBytes();
    // The typings omit sign()'s config parameter; openpgp.js needs it when called on a bare packet.
    const sign = packet.sign.bind(packet) as (...args: unknown[]) => Promise<void>;
    await sign(privateKey.keyPacket, {}, undefined, false, config);
    const list = new PacketList<SignaturePacket>();
    list.push(packet);
    const signature = new Signature(list).write() as Uint8Array;
    const e = await rejection(verifyDetachedSignature({ data: sums, signature, keys: [privateKey.toPublic()] }));
    expectCode(e, 'ERR_SIGNATURE_INVALID');
    expect(e.message).toMatch(/not a signature over a file/);
  });

  it('refuses a signature by a key that expired since as ERR_SIGNATURE_INVALID, saying so', async () => {
    const old = await createGpgHome({ uid: 'Old <old@example.invalid>', expire: '1d', fakedTime: '20200101T000000' });
    try {
      const keys = await readKeys({ armoredKeys: old.publicKeyArmored });
      const e = await rejection(verifyDetachedSignature({ data: sums, signature: await old.sign(sums), keys }));
      expectCode(e, 'ERR_SIGNATURE_INVALID');
      expect(e.message).toMatch(/expired/i);
    } finally {
      await old.cleanup();
    }
  });

  it('refuses a signature by a revoked key as ERR_SIGNATURE_INVALID, saying so', async () => {
    const gone = await createGpgHome({ uid: 'Gone <gone@example.invalid>' });
    try {
      const signature = await gone.sign(sums);
      const before = await readKeys({ armoredKeys: gone.publicKeyArmored });
      await expect(verifyDetachedSignature({ data: sums, signature, keys: before })).resolves.toBeDefined();
      const keys = await readKeys({ armoredKeys: await gone.revoke() });
      const e = await rejection(verifyDetachedSignature({ data: sums, signature, keys }));
      expectCode(e, 'ERR_SIGNATURE_INVALID');
      expect(e.message).toMatch(/revoked/i);
    } finally {
      await gone.cleanup();
    }
  });
});

describe('loadTrustedKeys', () => {
  it('parses the pinned assets/release-key.asc as one public ed25519 placeholder key', async () => {
    const text = await readFile(assetPath(RELEASE_KEY_ASSET), 'utf8');
    expect(text).not.toMatch(/PRIVATE KEY/);
    const keys = await readKeys({ armoredKeys: text });
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key?.isPrivate()).toBe(false);
    expect(key?.getAlgorithmInfo().algorithm).toMatch(/eddsa|ed25519/i);
    expect(key?.getUserIDs()).toEqual(['MaculaOS Release Signing (placeholder) <release@macula.invalid>']);
    await expect(key?.verifyPrimaryKey()).resolves.toBeUndefined();
    expect(pinned.map((k) => k.getFingerprint())).toEqual([key?.getFingerprint()]);
  });

  it('lets a user keyring admit a signature the pinned key alone refuses', async () => {
    const signature = await ed.sign(sums, { armor: true });
    const e = await rejection(verifyDetachedSignature({ data: sums, signature, keys: pinned }));
    expectCode(e, 'ERR_SIGNATURE_UNKNOWN_KEY');
    expect((await verifyDetachedSignature({ data: sums, signature, keys: edKeys })).fingerprint).toBe(ed.fingerprint);
    expect(edKeys.map((k) => k.getFingerprint().toUpperCase())).toEqual([pinned[0]?.getFingerprint().toUpperCase(), ed.fingerprint]);
  });

  it('reads a binary keyring of several keys', async () => {
    const path = join(dir, 'many.gpg');
    await writeFile(path, Buffer.concat([ed.publicKeyBinary, rsa.publicKeyBinary]));
    const keys = await loadTrustedKeys({ userKeyringPath: path });
    expect(keys.map((k) => k.getFingerprint().toUpperCase())).toEqual([pinned[0]?.getFingerprint().toUpperCase(), ed.fingerprint, rsa.fingerprint]);
    expect((await verifyDetachedSignature({ data: sums, signature: await rsa.sign(sums), keys })).fingerprint).toBe(rsa.fingerprint);
  });

  it('reads concatenated armored key blocks', async () => {
    const path = join(dir, 'many.asc');
    await writeFile(path, `${ed.publicKeyArmored}\n${rsa.publicKeyArmored}`);
    expect(await loadTrustedKeys({ userKeyringPath: path })).toHaveLength(3);
  });

  it.each([
    ['garbage', () => utf8('this is not a key\n')],
    ['a truncated armored key', () => utf8(ed.publicKeyArmored.slice(0, 200))],
    ['an armored key with a corrupted body', () => utf8(ed.publicKeyArmored.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!'))],
    ['a truncated binary key', () => ed.publicKeyBinary.subarray(0, 40)],
    ['an empty file', () => new Uint8Array()],
  ])('refuses a keyring holding %s as ERR_KEY_INVALID naming the path', async (what, bytes) => {
    const path = join(dir, `bad-${what.replace(/\W+/g, '-')}.asc`);
    await writeFile(path, bytes());
    const e = await rejection(loadTrustedKeys({ userKeyringPath: path }));
    expectCode(e, 'ERR_KEY_INVALID');
    expect(e.message).toContain(path);
  });

  it('explains that a GnuPG keybox must be exported first', async () => {
    const path = join(ed.home, 'pubring.kbx');
    const e = await rejection(loadTrustedKeys({ userKeyringPath: path }));
    expectCode(e, 'ERR_KEY_INVALID');
    expect(e.message).toMatch(/keybox.*gpg --export/);
  });

  it('reports a missing keyring file as ERR_IO', async () => {
    expectCode(await rejection(loadTrustedKeys({ userKeyringPath: join(dir, 'absent.asc') })), 'ERR_IO');
  });
});

describe('release verification', () => {
  it('checks the signature before trusting the sums', async () => {
    const signed = await verifySignedSums({ sums, signature: await ed.sign(sums, { armor: true }), keys: edKeys });
    expect(signed.signer.fingerprint).toBe(ed.fingerprint);
    expect(signed.sums.entries.map((e) => e.name)).toEqual(['macula-1.0.iso', 'other.img']);
    // Unparsable sums under a bad signature report the signature, proving it was checked first.
    const junk = utf8('not a sums file');
    expectCode(await rejection(verifySignedSums({ sums: junk, signature: await ed.sign(sums), keys: edKeys })), 'ERR_SIGNATURE_INVALID');
    expectCode(await rejection(verifySignedSums({ sums: junk, signature: await ed.sign(junk), keys: edKeys })), 'ERR_SUMS_MALFORMED');
  });

  it('accepts an image whose streamed hash matches, in either hex case', async () => {
    const signedSums = await verifySignedSums({ sums, signature: await ed.sign(sums), keys: edKeys });
    expect(verifyImageAgainstSums({ name: 'macula-1.0.iso', sha256: imageSha, signedSums }).sha256).toBe(imageSha);
    expect(verifyImageAgainstSums({ name: 'macula-1.0.iso', sha256: imageSha.toUpperCase(), signedSums }).name).toBe('macula-1.0.iso');
  });

  it('refuses an image whose hash differs as ERR_HASH_MISMATCH with expected and actual', async () => {
    const signedSums = await verifySignedSums({ sums, signature: await ed.sign(sums), keys: edKeys });
    const actual = (await hashFile(join(dir, 'other.img'))).sha256;
    let caught: unknown;
    try {
      verifyImageAgainstSums({ name: 'macula-1.0.iso', sha256: actual, signedSums });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MaculaError);
    expect(caught).toMatchObject({ code: 'ERR_HASH_MISMATCH', details: { expected: imageSha, actual } });
    // Only the last digit differs: the whole digest is compared, not a prefix.
    const lastDigit = imageSha.slice(0, 63) + (imageSha.endsWith('0') ? '1' : '0');
    expect(() => verifyImageAgainstSums({ name: 'macula-1.0.iso', sha256: lastDigit, signedSums })).toThrow(
      expect.objectContaining({ code: 'ERR_HASH_MISMATCH', message: expect.stringContaining(`expected ${imageSha}`) }),
    );
  });

  it('refuses a name absent from the sums as ERR_SUMS_NO_ENTRY', async () => {
    const signedSums = await verifySignedSums({ sums, signature: await ed.sign(sums), keys: edKeys });
    expect(() => verifyImageAgainstSums({ name: 'macula-2.0.iso', sha256: imageSha, signedSums })).toThrow(
      expect.objectContaining({ code: 'ERR_SUMS_NO_ENTRY', message: expect.stringContaining('macula-2.0.iso') }),
    );
  });

  it('hashes a file like sha256sum does', async () => {
    expect(await hashFile(image)).toEqual({ sha256: imageSha, bytes: 21 * 5000 });
  });

  it('reports a cancelled hash as ERR_ABORTED and an unreadable file as ERR_IO', async () => {
    expectCode(await rejection(hashFile(image, AbortSignal.abort())), 'ERR_ABORTED');
    expectCode(await rejection(hashFile(join(dir, 'absent.iso'))), 'ERR_IO');
  });
});
