import type { IpcResponse } from '../../../shared/ipc-contract';
import { FLEET_HISTORY_LIMIT } from '../../../shared/ipc-fleet';
import { inventoryView } from './fleet-views';
import { type FleetWatch, withInventory } from './fleet-watch';

/** `fleet.list`: every node flashed here with its recent history, and the advertisements heard now. */
export function listFleet(fleetDir: string, watch: FleetWatch): IpcResponse<'fleet.list'> {
  const inventory = withInventory(fleetDir, (inv) => {
    const histories = inv.recentHistories(FLEET_HISTORY_LIMIT);
    return inv.list().map(({ node }) => inventoryView(node, histories.get(node.node_id) ?? []));
  });
  return { inventory, discovered: watch.views(), watching: watch.watching };
}
