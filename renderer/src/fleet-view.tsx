import { useMemo, useState } from 'react';
import { type FleetFilter, NO_FILTER, type SeenRow, type StateFilter, filterRows, fleetRows } from './fleet-model';
import { SeenNodeCard, UnseenNodeCard } from './fleet-node-card';
import { useFleet } from './use-fleet';
import type { InventoryNodeView } from '../../shared/ipc-fleet';
import type { EngineClient } from './bridge';
import { VirtualList } from './virtual-list';

const STATE_OPTIONS: ReadonlyArray<readonly [StateFilter, string]> = [
  ['all', 'All nodes'],
  ['unadopted', 'Waiting to be adopted'],
  ['unpaired', 'Unpaired'],
  ['pairing', 'Pairing'],
  ['paired', 'Paired'],
  ['impostor', 'Impostors'],
  ['unknown', 'Not flashed here'],
  ['unseen', 'Flashed here, not seen now'],
];

/** A card's height before it is measured, px: a seen card with its facts and history line. */
const SEEN_ESTIMATE = 260;
const UNSEEN_ESTIMATE = 110;

function FilterBox({ filter, onChange }: { filter: FleetFilter; onChange: (f: FleetFilter) => void }) {
  return (
    <div className="fleet-filter" role="search">
      <label>
        Show{' '}
        <select value={filter.state} onChange={(e) => onChange({ ...filter, state: e.target.value as StateFilter })}>
          {STATE_OPTIONS.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      </label>
      <label>
        Search{' '}
        <input type="search" placeholder="name, hostname, id or address" value={filter.query} onChange={(e) => onChange({ ...filter, query: e.target.value })} />
      </label>
    </div>
  );
}

/**
 * The fleet: MaculaOS nodes heard on the LAN (mDNS, while this view is open), each judged against the nodes flashed
 * here (an impostor is shown as such and cannot be paired), pairing with the Portal from the desktop, and the flashed
 * nodes not heard now, each with its history. Built for fleets of thousands: the lists render only what is near the
 * viewport, discovery events are folded once per frame (use-fleet.ts), and a filter box narrows by state and name or id.
 */
export function FleetView({ bridge }: { bridge: EngineClient }) {
  const { model, problem, pair, adopt, cancel, dismiss } = useFleet(bridge);
  const [filter, setFilter] = useState<FleetFilter>(NO_FILTER);
  const all = useMemo(() => fleetRows(model), [model]);
  const { seen, unseen } = useMemo(() => filterRows(all, filter, model.pairings), [all, filter, model.pairings]);
  const filtered = filter.state !== 'all' || filter.query.trim() !== '';
  const status = `Looking for MaculaOS nodes on the local network: ${all.seen.length} heard, ${model.inventory.length} flashed here${filtered ? `; ${seen.length + unseen.length} shown` : ''}.`;
  return (
    <section className="fleet" aria-labelledby="fleet-title">
      <h2 id="fleet-title">Fleet</h2>
      <p className="hint fleet-status" role="status">
        {problem ?? (!model.loaded ? 'Loading the fleet…' : status)}
      </p>
      <FilterBox filter={filter} onChange={setFilter} />
      <h3 className="fleet-section">On the network</h3>
      {seen.length === 0 ? (
        <p className="empty">{filtered && all.seen.length > 0 ? 'No node heard matches the filter.' : 'No node heard yet. Nodes appear here a few seconds after they boot.'}</p>
      ) : (
        <VirtualList<SeenRow>
          items={seen}
          keyOf={(row) => row.node.key}
          estimate={SEEN_ESTIMATE}
          className="fleet-nodes"
          label="Nodes on the network"
          render={({ node, inventory }) => (
            <SeenNodeCard
              key={node.key}
              node={node}
              inventory={inventory}
              pairing={node.verdict.kind !== 'impostor' ? model.pairings[node.nodeId] : undefined}
              onPair={pair}
              onAdopt={adopt}
              onCancel={cancel}
              onDismiss={dismiss}
            />
          )}
        />
      )}
      {unseen.length > 0 && (
        <>
          <h3 className="fleet-section">Flashed here, not seen now</h3>
          <VirtualList<InventoryNodeView>
            items={unseen}
            keyOf={(n) => n.nodeId}
            estimate={UNSEEN_ESTIMATE}
            className="fleet-nodes"
            label="Nodes flashed here, not seen now"
            render={(inventory) => <UnseenNodeCard key={inventory.nodeId} inventory={inventory} />}
          />
        </>
      )}
    </section>
  );
}
