import type { PublicKey } from 'openpgp';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import { type FetchBytesOptions, fetchBytes } from '../download/fetch-bytes';
import { type SignatureCheck, verifyDetachedSignature } from '../trust/signature';

/** Where a catalog's detached signature lives unless told otherwise: beside it, as `catalog.json.asc`. */
export function defaultCatalogSigLocation(catalogLocation: string): string {
  return `${catalogLocation}.asc`;
}

/** An armored detached signature is well under 1 KiB; a few keys' worth is still tiny. */
const MAX_SIG_BYTES = 64 << 10;

/**
 * The catalog's detached signature. A signature that is not there (HTTP 404/410, no such file) is
 * ERR_SIGNATURE_MISSING naming where it was looked for; other failures (network, timeout) keep their own code, so an
 * unreachable default catalog still falls back to the bundled copy.
 */
export async function fetchCatalogSignature(sigLocation: string, opts: FetchBytesOptions): Promise<Buffer> {
  try {
    return await fetchBytes(sigLocation, { ...opts, maxBytes: MAX_SIG_BYTES });
  } catch (e) {
    const absent =
      (isMaculaError(e, 'ERR_HTTP_STATUS') && (e.details.status === 404 || e.details.status === 410)) ||
      (isMaculaError(e, 'ERR_IO') && (e.cause as { code?: unknown } | undefined)?.code === 'ENOENT');
    if (!absent) throw e;
    throw new MaculaError(
      'ERR_SIGNATURE_MISSING',
      `the catalog has no signature at ${sigLocation}: a catalog is used only with a detached OpenPGP signature by the release key (give it with --catalog-sig)`,
      { path: sigLocation },
      { cause: e },
    );
  }
}

/**
 * Checks the catalog's detached OpenPGP signature (RFC 9580 §5.2.1) over exactly the bytes that will be parsed,
 * against the same keys as SHA256SUMS. Failures keep the signature error's code, with the catalog named.
 */
export async function verifyCatalogSignature(options: {
  readonly location: string;
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly keys: readonly PublicKey[];
}): Promise<SignatureCheck> {
  try {
    return await verifyDetachedSignature({ data: options.bytes, signature: options.signature, keys: options.keys });
  } catch (e) {
    if (!isMaculaError(e)) throw e;
    throw new MaculaError(e.code, `catalog ${options.location} refused: ${e.message}`, { ...e.details, path: options.location }, { cause: e });
  }
}
