import { MaculaError } from '../../../shared/errors';
import { type DiscoveredNode, FleetDiscovery, type InvalidAdvertisement } from '../../engine/fleet/discovery';
import { type KnownNode, type Verdict, classifyAdvertisement } from '../../engine/fleet/impostor';
import { FleetInventory, type Sighting } from '../../engine/fleet/inventory';
import { sightingOf } from '../../engine/fleet/sighting';
import type { Command } from '../command';
import type { Output } from '../output';

const SIGHTING_BATCH_MS = 500;

/** Without --watch, how long to listen: long enough for the RFC 6762 §5.2 query at 1 s and its answers. */
const DEFAULT_TIMEOUT_S = 3;

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new MaculaError('ERR_USAGE', `--timeout must be a positive number of seconds, not "${value}"`);
  return seconds;
}

function verdictText(verdict: Verdict): string {
  switch (verdict.kind) {
    case 'known':
      return verdict.pinned ? 'known' : 'known (not pinned yet)';
    case 'unknown':
      return 'not flashed here';
    case 'impostor':
      return `IMPOSTOR: ${verdict.reasons.map((r) => (r.code === 'fingerprint-mismatch' ? 'certificate differs from the pinned one' : `uses the name of ${r.hostname} (${r.knownNodeId})`)).join('; ')}`;
  }
}

function nodeLine(node: DiscoveredNode, verdict: Verdict): string {
  const { txt } = node;
  return `${node.name.padEnd(20)} ${txt.nodeId}  ${txt.state.padEnd(8)} ${txt.osVersion} ${txt.arch}  ${node.addresses.join(', ') || '(no address)'} api:${txt.apiPort}  via ${node.interfaces.join(',')}  — ${verdictText(verdict)}`;
}

function invalidLine(ad: InvalidAdvertisement): string {
  return `ignored ${ad.name} on ${ad.interface}: ${ad.error.message}`;
}

/** Reports discovery events, classifying each node against the inventory and recording sightings of our nodes. */
function reporter(out: Output, inventory: FleetInventory) {
  let known: KnownNode[] = inventory.knownNodes();
  const judge = (node: DiscoveredNode): Verdict => classifyAdvertisement({ nodeId: node.nodeId, fingerprint: node.txt.fingerprint, name: node.name, host: node.host }, known);
  // Sightings are written together, once per SIGHTING_BATCH_MS: a fleet coming up at once was one transaction (and one
  // sync of the database file) per node, on the thread that also reads the mDNS socket.
  let pending: Sighting[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length > 0) inventory.recordSightings(pending);
    pending = [];
  };
  const record = (node: DiscoveredNode, verdict: Verdict): void => {
    // An impostor's claims never enter our nodes' history.
    if (verdict.kind !== 'known') return;
    pending.push(sightingOf(node));
    timer ??= setTimeout(flush, SIGHTING_BATCH_MS);
  };
  return {
    /** Writes what is waiting; before the inventory closes. */
    flush,
    refresh(): void {
      known = inventory.knownNodes();
    },
    node(event: 'node' | 'up' | 'update', node: DiscoveredNode): void {
      const verdict = judge(node);
      record(node, verdict);
      const prefix = event === 'node' ? '' : `${event.padEnd(6)} `;
      out.event(event, { node, verdict }, `${prefix}${nodeLine(node, verdict)}`);
    },
    down(node: DiscoveredNode, reason: string): void {
      out.event('down', { node, reason }, `down   ${node.name} ${node.nodeId} (${reason})`);
    },
    invalid(ad: InvalidAdvertisement): void {
      out.event('invalid', { advertisement: ad }, invalidLine(ad));
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** `macula discover`: the MaculaOS nodes on the LAN (mDNS `_macula._tcp`), or a live feed of them with --watch. */
export const discoverCommand: Command = {
  usage: 'macula discover [--watch] [--timeout S] [--json]',
  summary: 'find MaculaOS nodes on the local network (mDNS); --watch follows them until Ctrl-C or --timeout',
  options: { watch: { type: 'boolean' }, timeout: { type: 'string' } },
  async run({ args, out, signal }) {
    const watch = args.flag('watch');
    const timeout = parseTimeout(args.string('timeout')) ?? (watch ? undefined : DEFAULT_TIMEOUT_S);
    const inventory = FleetInventory.open();
    const discovery = new FleetDiscovery();
    const report = reporter(out, inventory);
    discovery.on('problem', (error, iface) => out.event('problem', { interface: iface, message: error.message }, `warning: ${iface}: ${error.message}`));
    discovery.on('invalid', (ad) => report.invalid(ad));
    if (watch) {
      discovery.on('up', (node) => report.node('up', node));
      discovery.on('update', (node) => report.node('update', node));
      discovery.on('down', (node, reason) => report.down(node, reason));
    }
    try {
      discovery.start();
      if (watch) out.event('watching', { timeout: timeout ?? null }, 'watching for MaculaOS nodes (Ctrl-C to stop)');
      // With --watch and no timeout, only Ctrl-C (the signal) ends it.
      await sleep(timeout === undefined ? 2 ** 31 - 1 : timeout * 1000, signal);
      if (!watch) {
        report.refresh();
        const nodes = discovery.nodes();
        for (const node of nodes) report.node('node', node);
        if (nodes.length === 0) out.event('notice', { message: 'no nodes found', nodes: 0 }, 'no MaculaOS nodes found');
      }
    } finally {
      discovery.removeAllListeners('down');
      await discovery.stop();
      report.flush();
      inventory.close();
    }
  },
};
