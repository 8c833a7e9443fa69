import type { NodeState } from '../../../shared/fleet/txt-record';
import type { DiscoveredNode } from './discovery';
import type { Sighting } from './inventory';

/**
 * What the inventory's history records of an advertisement, for `discover`, `pair` and the app alike. `state`
 * overrides the advertised one when the desktop knows better (right after pairing, before the node re-announces).
 */
export function sightingOf(node: DiscoveredNode, state: NodeState = node.txt.state, seenAt: Date = new Date()): Sighting {
  const { txt } = node;
  return { nodeId: txt.nodeId, state, fingerprint: txt.fingerprint, osVersion: txt.osVersion, addresses: node.addresses, interfaces: node.interfaces, seenAt };
}
