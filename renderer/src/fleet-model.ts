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

/**
 * Folds a batch of events in one go: a thousand nodes coming up at once is a thousand `fleet.node` events, and one
 * copy of the node map per batch instead of one per event keeps that linear.
 */
export function reduceFleetBatch(model: FleetModel, events: readonly FleetEvent[]): FleetModel {
  if (events.length === 0) return model;
  const discovered = { ...model.discovered };
  let pairings = model.pairings;
  for (const event of events) {
    switch (event.type) {
      case 'fleet.node':
        if (event.change === 'down') delete discovered[event.node.key];
        else discovered[event.node.key] = event.node;
        break;
      case 'fleet.pairing':
        pairings = { ...pairings, [event.nodeId]: { pairingId: event.pairingId, status: event.status } };
        break;
      case 'fleet.inventory':
        break;
      default:
        assertNever(event);
    }
  }
  return { ...model, discovered, pairings };
}

/** What the filter box shows: a state (as the badge says it, or not seen) and a search by name, hostname or id. */
export type StateFilter = 'all' | NodeState | 'pairing' | 'impostor' | 'unknown' | 'unseen';

export interface FleetFilter {
  readonly state: StateFilter;
  readonly query: string;
}

export const NO_FILTER: FleetFilter = { state: 'all', query: '' };

const matches = (query: string, ...fields: ReadonlyArray<string | undefined>): boolean => {
  const q = query.trim().toLowerCase();
  return q === '' || fields.some((f) => f !== undefined && f.toLowerCase().includes(q));
};

/** The rows the filter lets through. Pure. */
export function filterRows(rows: { seen: readonly SeenRow[]; unseen: readonly InventoryNodeView[] }, filter: FleetFilter, pairings: FleetModel['pairings']): { seen: SeenRow[]; unseen: InventoryNodeView[] } {
  const stateMatches = (row: SeenRow): boolean => {
    const { verdict } = row.node;
    switch (filter.state) {
      case 'all':
        return true;
      case 'unseen':
        return false;
      case 'impostor':
      case 'unknown':
        return verdict.kind === filter.state;
      default:
        return verdict.kind !== 'impostor' && shownState(row.node, pairings[row.node.nodeId]) === filter.state;
    }
  };
  return {
    seen: rows.seen.filter((row) => stateMatches(row) && matches(filter.query, row.node.name, row.node.nodeId, row.inventory?.hostname, ...row.node.addresses)),
    unseen: rows.unseen.filter((n) => (filter.state === 'all' || filter.state === 'unseen') && matches(filter.query, n.hostname, n.nodeId)),
  };
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
