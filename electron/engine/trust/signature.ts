import {
  createMessage,
  enums,
  PacketList,
  readSignature,
  Signature,
  SignaturePacket,
  verify,
  type Message,
  type PublicKey,
} from 'openpgp';
import { MaculaError } from '../../../shared/errors';
import { isArmored, isBlank } from './armor';

/** The signature that was accepted: who made it and when. */
export interface SignatureCheck {
  /** Fingerprint of the signer's primary key, upper-case hex as `gpg --fingerprint` shows it. */
  readonly fingerprint: string;
  /** Key ID of the (sub)key that made the signature, upper-case hex (RFC 9580 §5.5.4). */
  readonly keyId: string;
  /** Signature creation time (RFC 9580 §5.2.3.11). */
  readonly created: Date;
}

/** Options of {@link verifyDetachedSignature}. */
export interface VerifyDetachedSignatureOptions {
  readonly data: Uint8Array;
  /** Armored or binary detached signature; empty or absent → ERR_SIGNATURE_MISSING. */
  readonly signature: Uint8Array | undefined;
  readonly keys: readonly PublicKey[];
}

// Only signatures over a document may vouch for data (RFC 9580 §5.2.1.1-2): a standalone signature (§5.2.1.3)
// hashes nothing. openpgp.js skips other types silently; filtering here gives a clear error instead.
const DOCUMENT_SIGNATURE_TYPES: ReadonlySet<number> = new Set([enums.signature.binary, enums.signature.text]);
// openpgp.js reasons that mean the data is not what was signed.
const DIGEST_MISMATCH = /Signed digest did not match|Signature verification failed/;

/**
 * Checks a detached OpenPGP signature (RFC 9580 §5.2) over `data` against trusted keys. Accepts when at least one
 * document signature by a trusted key verifies and that key is still valid (unexpired, unrevoked) now.
 * Errors: ERR_SIGNATURE_MISSING, _MALFORMED, _UNKNOWN_KEY (names the issuer key IDs), _INVALID (gives the reason).
 */
export async function verifyDetachedSignature(options: VerifyDetachedSignatureOptions): Promise<SignatureCheck> {
  const { data, keys } = options;
  const packets = await parseSignature(options.signature);
  const documentPackets = packets.filter((p) => p.signatureType !== null && DOCUMENT_SIGNATURE_TYPES.has(p.signatureType));
  if (documentPackets.length === 0) {
    throw new MaculaError('ERR_SIGNATURE_INVALID', 'the signature is not a signature over a file (RFC 9580 §5.2.1)');
  }
  const trusted = documentPackets.flatMap((packet) => {
    const key = signerOf(packet, keys);
    return key ? [{ packet, key }] : [];
  });
  if (trusted.length === 0) {
    const issuers = documentPackets.map(issuerOf).join(', ');
    throw new MaculaError('ERR_SIGNATURE_UNKNOWN_KEY', `signed by key ${issuers}, which is not a trusted key`, {
      actual: issuers,
    });
  }
  const message = await createMessage({ binary: data });
  const reasons: string[] = [];
  for (const { packet, key } of trusted) {
    try {
      await verifyOne(message, packet, key);
      await stillValid(key, packet);
      return {
        fingerprint: key.getFingerprint().toUpperCase(),
        keyId: issuerOf(packet),
        created: packet.created ?? new Date(0),
      };
    } catch (e) {
      reasons.push(`key ${issuerOf(packet)}: ${reasonOf(e)}`);
    }
  }
  throw new MaculaError('ERR_SIGNATURE_INVALID', `bad signature (${reasons.join('; ')})`);
}

/** Verifies one signature packet alone, so a result can never be paired with the wrong packet. */
async function verifyOne(message: Message<Uint8Array>, packet: SignaturePacket, key: PublicKey): Promise<void> {
  const list = new PacketList<SignaturePacket>();
  list.push(packet);
  const result = await verify({ message, signature: new Signature(list), verificationKeys: key, format: 'binary' });
  const verification = result.signatures[0];
  if (!verification) throw new Error('openpgp.js returned no verification result');
  // `verified` rejects on a bad signature; it must be awaited, reading `signatures` alone proves nothing.
  await verification.verified;
}

async function parseSignature(bytes: Uint8Array | undefined): Promise<SignaturePacket[]> {
  if (!bytes || isBlank(bytes)) throw new MaculaError('ERR_SIGNATURE_MISSING', 'the signature is empty or absent');
  let signature: Signature;
  try {
    signature = isArmored(bytes)
      ? await readSignature({ armoredSignature: new TextDecoder().decode(bytes) })
      : await readSignature({ binarySignature: bytes });
  } catch (cause) {
    throw new MaculaError('ERR_SIGNATURE_MALFORMED', `not an OpenPGP signature: ${messageOf(cause)}`, {}, { cause });
  }
  // openpgp.js keeps packets of unsupported versions as opaque placeholders (config.ignoreUnsupportedPackets).
  const packets = [...signature.packets].filter((p) => p instanceof SignaturePacket);
  if (packets.length === 0) {
    throw new MaculaError('ERR_SIGNATURE_MALFORMED', 'not an OpenPGP signature: no supported signature packet');
  }
  return packets;
}

/** Signed while valid is not enough for releases: a revoked or expired key must not vouch for anything today. */
async function stillValid(key: PublicKey, packet: SignaturePacket): Promise<void> {
  try {
    await key.getSigningKey(packet.issuerKeyID, new Date());
  } catch (e) {
    throw new Error(`signing key ${key.getFingerprint().toUpperCase()} is no longer valid: ${messageOf(e)}`);
  }
}

function signerOf(packet: SignaturePacket, keys: readonly PublicKey[]): PublicKey | undefined {
  return keys.find((key) => key.getKeys(packet.issuerKeyID).length > 0);
}

function issuerOf(packet: SignaturePacket): string {
  const hex = packet.issuerKeyID.toHex().toUpperCase();
  return /^0*$/.test(hex) ? '(no issuer key ID)' : hex;
}

function reasonOf(e: unknown): string {
  const message = messageOf(e);
  return DIGEST_MISMATCH.test(message)
    ? `the signature does not match the data, which was altered or is not the signed file (${message})`
    : message;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
