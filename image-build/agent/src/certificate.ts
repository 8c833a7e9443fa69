import { X509Certificate, createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// @peculiar/x509 2.x resolves its services with tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { bytesToBase64url } from '../../../shared/fleet/base64url';
import { ensurePrivateDir, writePrivateFile } from './private-file';

/**
 * The node's TLS identity: an ECDSA P-256 key and a self-signed certificate, made on first start and kept in
 * `<stateDir>/agent/` (files 0600, folder 0700), so the fingerprint a desktop pinned stays valid across reboots.
 * Nobody validates this certificate by chain or name: the desktop pins its SHA-256 (shared/fleet/cert-fingerprint.ts).
 */

export interface TlsIdentity {
  readonly keyPem: string;
  readonly certPem: string;
  /** base64url SHA-256 of the certificate's DER (shared/fleet/cert-fingerprint.ts). */
  readonly fingerprint: string;
  /** The same 32 bytes raw: what the pairing proofs MAC. */
  readonly fingerprintBytes: Uint8Array;
}

const KEY_FILE = 'tls-key.pem';
const CERT_FILE = 'tls-cert.pem';

// Node 18 (Debian's, on the OS) has no global `crypto`: hand the library node:crypto's WebCrypto explicitly.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** The fingerprint of a certificate's DER bytes, raw and as TXT records and the API carry it. */
export function certificateFingerprint(der: Uint8Array): { fingerprint: string; fingerprintBytes: Uint8Array } {
  const fingerprintBytes = new Uint8Array(createHash('sha256').update(der).digest());
  return { fingerprint: bytesToBase64url(fingerprintBytes), fingerprintBytes };
}

async function createIdentity(commonName: string, altNames: readonly string[]): Promise<{ keyPem: string; certPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: [{ CN: [commonName] }],
    // A board without a real-time clock may boot in 1970 or 2000: a wide window keeps the date out of the way.
    notBefore: new Date('2000-01-01T00:00:00Z'),
    notAfter: new Date('2099-12-31T23:59:59Z'),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(altNames.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  const keyPem = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
  return { keyPem, certPem: cert.toString('pem') };
}

/** The stored pair, if both files are there and the key belongs to the certificate. */
async function loadIdentity(dir: string): Promise<TlsIdentity | undefined> {
  const [keyPem, certPem] = await Promise.all([readFile(join(dir, KEY_FILE), 'utf8'), readFile(join(dir, CERT_FILE), 'utf8')]).catch(() => []);
  if (keyPem === undefined || certPem === undefined) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    return { keyPem, certPem, ...certificateFingerprint(cert.raw) };
  } catch {
    // A damaged file (power cut during first boot): a new identity is better than no API at all.
    return undefined;
  }
}

/** Loads the node's TLS identity from `<stateDir>/agent/`, or makes and stores one. */
export async function ensureTlsIdentity(stateDir: string, names: { commonName: string; altNames: readonly string[] }): Promise<TlsIdentity> {
  const dir = join(stateDir, 'agent');
  const existing = await loadIdentity(dir);
  if (existing) return existing;
  await ensurePrivateDir(dir);
  const { keyPem, certPem } = await createIdentity(names.commonName, names.altNames);
  // Key first: a certificate without its key is useless, the reverse is remade on the next start.
  await writePrivateFile(join(dir, KEY_FILE), keyPem);
  await writePrivateFile(join(dir, CERT_FILE), certPem);
  return { keyPem, certPem, ...certificateFingerprint(new X509Certificate(certPem).raw) };
}
