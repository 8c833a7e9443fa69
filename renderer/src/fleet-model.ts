import { assertNever } from '../../shared/errors';
import type { IpcResponse } from '../../shared/ipc-contract';
import type { FleetEvent } from '../../shared/ipc-events';
import type { DiscoveredNodeView, InventoryNodeView, PairingView } from '../../shared/ipc-fleet';
import type { NodeState } from '../../shared/fleet/txt-record';

/** A pairing the view follows, by node id. */
export interface PairingEntry {
  readonly pairingId: string | undefined;
  readonly status: PairingView;
}

/** The fleet view's state: the inventory, the advertisements heard (by key) and pairings (by node id). */
export interface FleetModel {
  readonly loaded: boolean;
  readonly inventory: readonly InventoryNodeView[];
  readonly discovered: Readonly<Record<string, DiscoveredNodeView>>;
  readonly pairings: Readonly<Record<string, PairingEntry>>;
}

export const EMPTY_FLEET: FleetModel = { loaded: false, inventory: [], discovered: {}, pairings: {} };

/** A card of a node heard now, with its inventory row when it is genuinely one flashed here. */
export interface SeenRow {
  readonly node: DiscoveredNodeView;
  readonly inventory: InventoryNodeView | undefined;
}

export function withList(model: FleetModel, list: IpcResponse<'fleet.list'>): FleetModel {
  return { ...model, loaded: true, inventory: list.inventory, discovered: Object.fromEntries(list.discovered.map((n) => [n.key, n])) };
}

export function reduceFleet(model: FleetModel, event: FleetEvent): FleetModel {
  switch (event.type) {
    case 'fleet.node': {
      const discovered = { ...model.discovered };
      if (event.change === 'down') delete discovered[event.node.key];
      else discovered[event.node.key] = event.node;
      return { ...model, discovered };
    }
    case 'fleet.pairing':
      return { ...model, pairings: { ...model.pairings, [event.nodeId]: { pairingId: event.pairingId, status: event.status } } };
    case 'fleet.inventory':
      // The caller lists again; nothing to change until then.
      return model;
    default:
      return assertNever(event);
  }
}

/** Whether a pairing is still under way (cancel, not dismiss). */
export function pairingActive(status: PairingView): boolean {
  return status.state !== 'paired' && status.state !== 'failed' && status.state !== 'cancelled';
}

/** The state badge: our own pairing knows before the node re-announces its record. */
export function shownState(node: DiscoveredNodeView, pairing: PairingEntry | undefined): NodeState {
  if (pairing?.status.state === 'paired') return 'paired';
  if (pairing && pairingActive(pairing.status)) return 'pairing';
  return node.state;
}

/**
 * The cards, in a stable order (by name, then id, the genuine node before any impostor of it) so nothing moves
 * when a record is refreshed; flashed nodes no genuine advertisement answers for come after, as not seen.
 */
export function fleetRows(model: FleetModel): { seen: SeenRow[]; unseen: InventoryNodeView[] } {
  const byId = new Map(model.inventory.map((n) => [n.nodeId, n]));
  const nodes = Object.values(model.discovered).sort(
    (a, b) => a.name.localeCompare(b.name) || a.nodeId.localeCompare(b.nodeId) || Number(a.verdict.kind === 'impostor') - Number(b.verdict.kind === 'impostor') || a.key.localeCompare(b.key),
  );
  const seen: SeenRow[] = nodes.map((node) => ({ node, inventory: node.verdict.kind === 'known' ? byId.get(node.nodeId) : undefined }));
  const genuine = new Set(nodes.filter((n) => n.verdict.kind === 'known').map((n) => n.nodeId));
  const unseen = model.inventory.filter((n) => !genuine.has(n.nodeId));
  return { seen, unseen };
}
