import { FleetInventory } from '../../engine/fleet/inventory';
import type { InventoryNode } from '../../engine/fleet/inventory-rows';
import { seedReportLine } from '../../../shared/fleet/seed-report';
import type { Command } from '../command';

function nodeLine({ node, lastSeen }: InventoryNode): string {
  const seen = lastSeen ? `${lastSeen.state} (last seen ${lastSeen.last_seen}${lastSeen.addresses.length ? ` at ${lastSeen.addresses.join(', ')}` : ''})` : 'never seen';
  const origin = node.origin === 'adopted' ? `adopted ${node.seeded_at}` : `${node.image_name} (seeded ${node.seeded_at})`;
  // The report as the node MACed it at the last pairing from here (seed-report-fetch.ts); nothing if none came.
  const report = node.seed_report ? `\n${' '.repeat(21)}seed: ${seedReportLine(node.seed_report)}` : '';
  return `${node.hostname.padEnd(20)} ${node.node_id}  ${origin}  ${node.pinned_fingerprint ? 'pinned' : 'not pinned'}  ${seen}${report}`;
}

/** `macula fleet`: the nodes this desktop flashed, each with the last state it was seen in. */
export const fleetCommand: Command = {
  usage: 'macula fleet [--json]',
  summary: 'list the nodes this desktop flashed or adopted, the state each was last seen in and its seed report (MACULA_FLEET_DIR)',
  options: {},
  async run({ out }) {
    const inventory = FleetInventory.open();
    try {
      const nodes = inventory.list();
      // Never the pairing key: it is not in the database, and this output may be pasted anywhere.
      for (const entry of nodes) out.event('node', { ...entry.node, last_seen: entry.lastSeen }, nodeLine(entry));
      if (nodes.length === 0) out.event('notice', { message: 'no nodes in the inventory', nodes: 0, dir: inventory.dir }, `no nodes flashed yet (${inventory.dir})`);
    } finally {
      inventory.close();
    }
  },
};
