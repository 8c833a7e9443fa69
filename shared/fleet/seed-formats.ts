import { catalogImageSchema } from '../catalog';
import { seedSchema } from '../seed';

/**
 * The formats the fleet protocol shares with the seed, taken from the seed schema itself rather than written twice:
 * a node id in a TXT record or a pair request is valid exactly when the seed that carried it was.
 */

const maculaos = seedSchema.shape.maculaos.unwrap();
const pairing = maculaos.shape.pairing.unwrap();
const portal = maculaos.shape.portal.unwrap();

/** `maculaos.pairing.node_id`: a lower-case UUID or a short id (4–32 of a-z 0-9 -). */
export const nodeIdSchema = pairing.shape.node_id.unwrap();

/** `maculaos.pairing.key`: base64url (RFC 4648 §5) of at least 32 random bytes. A secret: never sent, never logged. */
export const pairingKeySchema = pairing.shape.key.unwrap();

/** `maculaos.portal.enrollment_token`: printable ASCII without spaces. A secret, sent only to the Portal. */
export const enrollmentTokenSchema = portal.shape.enrollment_token.unwrap();

/** `maculaos.portal.url`: the Portal's https:// base URL. */
export const portalUrlSchema = portal.shape.url;

/** `hostname`: an RFC 1123 host name, lower case. */
export const hostnameSchema = seedSchema.shape.hostname.unwrap();

/** A MaculaOS release version as the catalog writes it (SemVer such as 0.1.0 or 0.2.0-rc.1). */
export const osVersionSchema = catalogImageSchema.shape.version;

export { archSchema, ARCHES, type Arch } from '../catalog';
export { MESH_ROLES, type MeshRole } from '../seed';
