import { isIPv6 } from 'node:net';
import { assertNever } from '../../../shared/errors';
import type { DiscoveredNodeView, FleetVerdict, InventoryNodeView } from '../../../shared/ipc-fleet';
import type { DiscoveredNode } from '../fleet/discovery';
import { nodeAddress } from '../fleet/find-node';
import type { ImpostorReason, Verdict } from '../fleet/impostor';
import type { FlashedNodeRow, SightingRow } from '../fleet/inventory-rows';

/** Engine shapes → the contract's views for the fleet screen: public data only, reasons put into words. */

function reasonText(reason: ImpostorReason): string {
  switch (reason.code) {
    case 'fingerprint-mismatch':
      return `its certificate (${reason.advertised.slice(0, 12)}…) is not the one pinned when node ${reason.nodeId} was paired (${reason.pinned.slice(0, 12)}…)`;
    case 'name-taken':
      return `it uses the name ${reason.hostname}, which belongs to node ${reason.knownNodeId} flashed here`;
    default:
      return assertNever(reason);
  }
}

export function verdictView(verdict: Verdict): FleetVerdict {
  switch (verdict.kind) {
    case 'known':
      return { kind: 'known', pinned: verdict.pinned };
    case 'unknown':
      return { kind: 'unknown' };
    case 'impostor':
      return { kind: 'impostor', reasons: verdict.reasons.map((r) => ({ code: r.code, message: reasonText(r) })) };
    default:
      return assertNever(verdict);
  }
}

/** The agent's own page (it serves it at `/` of its API port). Never offered for an impostor: it is not our node. */
export function consoleUrl(node: DiscoveredNode): string | undefined {
  const address = nodeAddress(node);
  if (address === undefined) return undefined;
  const host = isIPv6(address) ? `[${address}]` : address;
  return `https://${host}${node.txt.apiPort === 443 ? '' : `:${node.txt.apiPort}`}/`;
}

export function discoveredView(node: DiscoveredNode, verdict: Verdict): DiscoveredNodeView {
  const url = verdict.kind === 'impostor' ? undefined : consoleUrl(node);
  const { txt } = node;
  return {
    key: node.key,
    nodeId: node.nodeId,
    name: node.name,
    host: node.host,
    state: txt.state,
    fingerprint: txt.fingerprint,
    osVersion: txt.osVersion,
    arch: txt.arch,
    meshRoles: [...txt.meshRoles],
    addresses: [...node.addresses],
    interfaces: [...node.interfaces],
    verdict: verdictView(verdict),
    ...(url !== undefined ? { consoleUrl: url } : {}),
  };
}

export function inventoryView(node: FlashedNodeRow, history: readonly SightingRow[]): InventoryNodeView {
  return {
    nodeId: node.node_id,
    hostname: node.hostname,
    imageName: node.image_name,
    seededAt: node.seeded_at,
    pinned: node.pinned_fingerprint !== null,
    origin: node.origin,
    seedReport: node.seed_report,
    history: history.map((s) => ({ state: s.state, firstSeen: s.first_seen, lastSeen: s.last_seen, osVersion: s.os_version, addresses: [...s.addresses] })),
  };
}
