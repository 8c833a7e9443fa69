import { memo, useState } from 'react';
import { seedReportFailed, seedReportLine } from '../../shared/fleet/seed-report';
import type { DiscoveredNodeView, InventoryNodeView } from '../../shared/ipc-fleet';
import { FleetHistory } from './fleet-history';
import { type PairingEntry, pairingActive, shownState } from './fleet-model';
import { PairPanel } from './pair-panel';

/** What a card can ask for, by node id: stable functions, so a card re-renders only when its own node changes. */
export interface PairActions {
  readonly onPair: (nodeId: string) => void;
  readonly onAdopt: (nodeId: string, code: string) => void;
  readonly onCancel: (nodeId: string) => void;
  readonly onDismiss: (nodeId: string) => void;
}

function VerdictNote({ node }: { node: DiscoveredNodeView }) {
  const v = node.verdict;
  if (v.kind === 'impostor') {
    return (
      <div className="impostor-warning" role="alert">
        <strong>IMPOSTOR</strong> — this is not the node flashed here, whatever it calls itself:
        <ul>
          {v.reasons.map((r) => (
            <li key={r.code + r.message}>{r.message}</li>
          ))}
        </ul>
        Do not pair it or enter anything on its page.
      </div>
    );
  }
  if (v.kind === 'unknown' && node.state === 'unadopted') return <p className="hint">Not paired with any desktop: adopt it with the setup code on its console.</p>;
  if (v.kind === 'unknown') return <p className="hint">Not flashed here: this desktop holds no pairing key for it.</p>;
  return null;
}

/** What the node made of its seed (its last report whose MAC checked out); amber when a setting failed. */
function SeedReportNote({ inventory }: { inventory: InventoryNodeView | undefined }) {
  const report = inventory?.seedReport;
  if (!report) return null;
  return (
    <p className={`seed-report${seedReportFailed(report) ? ' failed' : ''}`} data-testid="seed-report">
      Seed: {seedReportLine(report)}
    </p>
  );
}

/** The setup code from the node's console, typed here; it goes to the engine and the node's exchange only. */
function AdoptForm({ title, onAdopt }: { title: string; onAdopt: (code: string) => void }) {
  const [code, setCode] = useState('');
  const id = `adopt-${title.replace(/[^a-z0-9-]/gi, '')}`;
  return (
    <form
      className="adopt-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (code.trim() !== '') onAdopt(code.trim());
      }}
    >
      <label htmlFor={id}>Setup code on its console</label>
      <input id={id} value={code} onChange={(e) => setCode(e.target.value)} placeholder="XXXXX-XXXXX" autoComplete="off" spellCheck={false} maxLength={32} />
      <button type="submit" className="primary" disabled={code.trim() === ''}>
        Adopt<span className="visually-hidden"> {title}</span>
      </button>
    </form>
  );
}

/** A node heard on the LAN: what it advertises, the verdict on it, and pairing when it is ours and unpaired. */
export const SeenNodeCard = memo(function SeenNodeCard(props: { node: DiscoveredNodeView; inventory: InventoryNodeView | undefined; pairing: PairingEntry | undefined } & PairActions) {
  const { node, inventory, pairing } = props;
  const impostor = node.verdict.kind === 'impostor';
  const state = shownState(node, pairing);
  const idle = pairing === undefined || !pairingActive(pairing.status);
  const canPair = node.verdict.kind === 'known' && state !== 'paired' && idle;
  const canAdopt = node.verdict.kind === 'unknown' && node.state === 'unadopted' && idle;
  const title = inventory?.hostname ?? node.name;
  const amber = inventory?.seedReport ? seedReportFailed(inventory.seedReport) : false;
  return (
    <li className={`fleet-node${impostor ? ' impostor' : ''}${amber ? ' amber' : ''}`} data-node-id={node.nodeId} data-verdict={node.verdict.kind} aria-label={`${title}${impostor ? ' (impostor)' : ''}`}>
      <div className="fleet-node-head">
        <h3>{title}</h3>
        <span className={`badge ${impostor ? 'impostor' : state}`} data-testid="node-state">
          {impostor ? 'impostor' : state}
        </span>
      </div>
      <VerdictNote node={node} />
      <SeedReportNote inventory={inventory} />
      <dl className="node-facts">
        <dt>Node id</dt>
        <dd>
          <code>{node.nodeId}</code>
        </dd>
        <dt>OS</dt>
        <dd>
          MaculaOS {node.osVersion} ({node.arch}){node.meshRoles.length > 0 ? `, ${node.meshRoles.join(' + ')}` : ''}
        </dd>
        <dt>Addresses</dt>
        <dd>{node.addresses.join(', ') || 'none advertised'}</dd>
        <dt>Interfaces</dt>
        <dd>{node.interfaces.join(', ')}</dd>
        <dt>Verdict</dt>
        <dd>
          {node.verdict.kind === 'known'
            ? `${inventory?.origin === 'adopted' ? 'adopted' : 'flashed'} here, ${node.verdict.pinned ? 'certificate pinned' : 'not paired from here yet'}`
            : node.verdict.kind === 'unknown'
              ? 'not flashed here'
              : 'refused'}
        </dd>
      </dl>
      <div className="actions">
        {node.consoleUrl && !impostor && (
          <a className="button-link" href={node.consoleUrl} target="_blank" rel="noopener noreferrer">
            Open Console<span className="visually-hidden"> of {title}</span>
          </a>
        )}
        {canPair && (
          <button type="button" className="primary" onClick={() => props.onPair(node.nodeId)}>
            Pair<span className="visually-hidden"> {title}</span>
          </button>
        )}
      </div>
      {canAdopt && <AdoptForm title={title} onAdopt={(code) => props.onAdopt(node.nodeId, code)} />}
      {pairing && !impostor && <PairPanel name={title} pairing={pairing} onCancel={() => props.onCancel(node.nodeId)} onDismiss={() => props.onDismiss(node.nodeId)} />}
      {inventory && <FleetHistory node={inventory} />}
    </li>
  );
});

/** A node flashed here that no genuine advertisement answers for now (off, not booted yet, or another network). */
export const UnseenNodeCard = memo(function UnseenNodeCard({ inventory }: { inventory: InventoryNodeView }) {
  const last = inventory.history[0];
  const amber = inventory.seedReport ? seedReportFailed(inventory.seedReport) : false;
  return (
    <li className={`fleet-node unseen${amber ? ' amber' : ''}`} data-node-id={inventory.nodeId} aria-label={`${inventory.hostname} (not seen)`}>
      <div className="fleet-node-head">
        <h3>{inventory.hostname}</h3>
        <span className="badge unseen">not seen</span>
      </div>
      <SeedReportNote inventory={inventory} />
      <p className="hint">{last ? `Last seen ${new Date(last.lastSeen).toLocaleString()}, ${last.state}, at ${last.addresses.join(', ') || 'no address'}.` : 'Never seen on this network since it was flashed.'}</p>
      <FleetHistory node={inventory} />
    </li>
  );
});
