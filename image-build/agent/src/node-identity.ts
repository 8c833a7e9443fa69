import { MaculaError } from '../../../shared/errors';
import { nodeName } from '../../../shared/fleet/node-name';
import type { MeshRole } from '../../../shared/fleet/seed-formats';
import { MESH_ROLES } from '../../../shared/fleet/seed-formats';
import type { Seed } from '../../../shared/seed';

/**
 * What the agent takes from the seed: who the node is, the pairing key it proves itself with, and where its Portal is.
 * `pairingKey` and `enrollmentToken` are secrets (plan §9.3): they go into HMACs and the one Portal request, never into
 * a log line, a TXT record or an HTTP response.
 */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly hostname: string | undefined;
  /**
   * The key's decoded bytes: the HMAC key of both proofs (shared/fleet/pairing-proof.ts). Undefined on a node not
   * seeded here until it is adopted (adoption.ts).
   */
  readonly pairingKey: Buffer | undefined;
  /** Where the key came from: the seed, an adoption, or nowhere yet. */
  readonly origin: 'seeded' | 'adopted' | 'unadopted';
  /** The key as seeded, so encodeTxtRecord can refuse a record that would carry it. */
  readonly secrets: readonly string[];
  readonly meshRoles: MeshRole[];
  readonly portalUrl: string | undefined;
  readonly enrollmentToken: string | undefined;
}

export function nodeIdentityFrom(seed: Seed, source: string): NodeIdentity {
  const m = seed.maculaos;
  const nodeId = m.pairing?.node_id;
  const key = m.pairing?.key;
  // Without both the node cannot prove anything to a desktop: refuse to start rather than serve an open API.
  if (nodeId === undefined || key === undefined) {
    const field = nodeId === undefined ? 'maculaos.pairing.node_id' : 'maculaos.pairing.key';
    throw new MaculaError('ERR_SEED_INVALID', `seed ${source} has no ${field}: this node cannot be paired`, { path: source, field });
  }
  const enrollmentToken = m.portal?.enrollment_token;
  return {
    nodeId,
    hostname: seed.hostname,
    pairingKey: Buffer.from(key, 'base64url'),
    origin: 'seeded',
    secrets: [key, ...(enrollmentToken === undefined ? [] : [enrollmentToken])],
    meshRoles: MESH_ROLES.filter((role) => m.mesh?.[role] === true),
    portalUrl: m.portal?.url,
    enrollmentToken,
  };
}

/** Whether `seed` carries the pairing a seeded node needs (else the node waits to be adopted). */
export function seedHasPairing(seed: Seed | undefined): boolean {
  return seed?.maculaos.pairing?.node_id !== undefined && seed.maculaos.pairing.key !== undefined;
}

/**
 * A node not seeded here (no seed, or one without `maculaos.pairing`): its own node id (adoption-store.ts), what the
 * seed says otherwise (host name, roles, Portal), and the key and Portal an adoption installed, if one did.
 */
export function unseededIdentity(seed: Seed | undefined, nodeId: string, adopted: { pairingKey: string; portalUrl: string | undefined } | undefined): NodeIdentity {
  const m = seed?.maculaos;
  const enrollmentToken = m?.portal?.enrollment_token;
  return {
    nodeId,
    hostname: seed?.hostname,
    pairingKey: adopted ? Buffer.from(adopted.pairingKey, 'base64url') : undefined,
    origin: adopted ? 'adopted' : 'unadopted',
    secrets: [...(adopted ? [adopted.pairingKey] : []), ...(enrollmentToken === undefined ? [] : [enrollmentToken])],
    meshRoles: MESH_ROLES.filter((role) => m?.mesh?.[role] === true),
    portalUrl: adopted?.portalUrl ?? m?.portal?.url,
    enrollmentToken,
  };
}

/** The DNS-SD instance and host name: the seeded hostname, else `macula-` and the start of the node id. */
export function serviceName(identity: NodeIdentity): string {
  return nodeName(identity.hostname, identity.nodeId);
}
