import type { FleetErrorCode } from '../../../shared/fleet/fleet-error';
import type { TxtRecord } from '../../../shared/fleet/txt-record';

/**
 * A node as discovery sees it: one entry per node id and certificate fingerprint, however many interfaces it is
 * heard on. Two advertisements with the same id but different fingerprints are two entries on purpose, so an
 * impostor is never merged away behind the genuine node (impostor.ts flags it).
 */
export interface DiscoveredNode {
  /** `nodeId/fingerprint`: the de-duplication key. */
  readonly key: string;
  readonly nodeId: string;
  /** The DNS-SD instance name (RFC 6763 §4.1), e.g. `macula-a1b2`. */
  readonly name: string;
  /** The SRV target host, e.g. `macula-a1b2.local`. */
  readonly host: string;
  /** The SRV port. The agent's API port is `txt.apiPort`. */
  readonly port: number;
  /** IPv4 and IPv6 addresses from A/AAAA records, de-duplicated across interfaces. */
  readonly addresses: readonly string[];
  readonly txt: TxtRecord;
  /** Interfaces (OS names) the node is currently heard on, sorted. */
  readonly interfaces: readonly string[];
}

/** Why a node left the list. `replaced`: its advertisement now names another id or fingerprint, or became invalid. */
export type DownReason = 'goodbye' | 'expired' | 'replaced' | 'interface-gone' | 'stopped';

/** An advertisement of `_macula._tcp` whose TXT record the protocol refuses: reported, never trusted. */
export interface InvalidAdvertisement {
  readonly interface: string;
  readonly name: string;
  readonly host: string;
  readonly addresses: readonly string[];
  readonly error: { readonly code: FleetErrorCode; readonly message: string; readonly field?: string };
}

/** The events of FleetDiscovery, typed for Node's EventEmitter. */
export interface DiscoveryEvents {
  up: [node: DiscoveredNode];
  update: [node: DiscoveredNode, previous: DiscoveredNode];
  down: [node: DiscoveredNode, reason: DownReason];
  invalid: [advertisement: InvalidAdvertisement];
  /** A socket could not be opened or failed (the interface is skipped, the others carry on). */
  problem: [error: Error, iface: string];
}
