import { fleetRows } from './fleet-model';
import { SeenNodeCard, UnseenNodeCard } from './fleet-node-card';
import { useFleet } from './use-fleet';
import type { EngineClient } from './bridge';

/**
 * The fleet: MaculaOS nodes heard on the LAN (mDNS, while this view is open), each judged against the nodes flashed
 * here (an impostor is shown as such and cannot be paired), pairing with the Portal from the desktop, and the flashed
 * nodes not heard now, each with its history.
 */
export function FleetView({ bridge }: { bridge: EngineClient }) {
  const { model, problem, pair, adopt, cancel, dismiss } = useFleet(bridge);
  const { seen, unseen } = fleetRows(model);
  return (
    <section className="fleet" aria-labelledby="fleet-title">
      <h2 id="fleet-title">Fleet</h2>
      <p className="hint fleet-status" role="status">
        {problem ?? (!model.loaded ? 'Loading the fleet…' : `Looking for MaculaOS nodes on the local network: ${seen.length} heard, ${model.inventory.length} flashed here.`)}
      </p>
      <h3 className="fleet-section">On the network</h3>
      {seen.length === 0 ? (
        <p className="empty">No node heard yet. Nodes appear here a few seconds after they boot.</p>
      ) : (
        <ul className="fleet-nodes" aria-label="Nodes on the network">
          {seen.map(({ node, inventory }) => (
            <SeenNodeCard
              key={node.key}
              node={node}
              inventory={inventory}
              pairing={node.verdict.kind !== 'impostor' ? model.pairings[node.nodeId] : undefined}
              onPair={() => pair(node.nodeId)}
              onAdopt={(code) => adopt(node.nodeId, code)}
              onCancel={() => cancel(node.nodeId)}
              onDismiss={() => dismiss(node.nodeId)}
            />
          ))}
        </ul>
      )}
      {unseen.length > 0 && (
        <>
          <h3 className="fleet-section">Flashed here, not seen now</h3>
          <ul className="fleet-nodes" aria-label="Nodes flashed here, not seen now">
            {unseen.map((inventory) => (
              <UnseenNodeCard key={inventory.nodeId} inventory={inventory} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
