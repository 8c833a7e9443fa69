import type { InventoryNodeView } from '../../shared/ipc-fleet';

const when = (iso: string): string => new Date(iso).toLocaleString();

/** A node's history from the inventory: the states it was seen in, newest first, folded away until asked for. */
export function FleetHistory({ node }: { node: InventoryNodeView }) {
  return (
    <details className="history">
      <summary>
        History ({node.history.length === 0 ? 'never seen' : `${node.history.length} ${node.history.length === 1 ? 'period' : 'periods'}`})
      </summary>
      <p className="hint">
        Flashed {when(node.seededAt)} with {node.imageName}
        {node.pinned ? '; certificate pinned at pairing' : ''}.
      </p>
      {node.history.length > 0 && (
        <table>
          <caption className="visually-hidden">States {node.hostname} was seen in</caption>
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">From</th>
              <th scope="col">Until</th>
              <th scope="col">OS</th>
              <th scope="col">Addresses</th>
            </tr>
          </thead>
          <tbody>
            {node.history.map((s) => (
              <tr key={`${s.firstSeen}-${s.state}`}>
                <td>
                  <span className={`badge ${s.state}`}>{s.state}</span>
                </td>
                <td>{when(s.firstSeen)}</td>
                <td>{when(s.lastSeen)}</td>
                <td>{s.osVersion}</td>
                <td>{s.addresses.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
