import { toString as qrText } from 'qrcode';
import { MaculaError } from '../../../shared/errors';
import type { PairingStatus } from '../../../shared/fleet/node-api';
import { type DiscoveredNode, FleetDiscovery } from '../../engine/fleet/discovery';
import { defaultFleetDir } from '../../engine/fleet/fleet-dir';
import { classifyAdvertisement } from '../../engine/fleet/impostor';
import { FleetInventory } from '../../engine/fleet/inventory';
import { pairNode } from '../../engine/fleet/pair-node';
import type { Command } from '../command';
import type { Output } from '../output';

/** How long to look for the node on the LAN by default: the first mDNS queries and their answers. */
const DEFAULT_FIND_S = 10;

function seconds(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new MaculaError('ERR_USAGE', `${flag} must be a positive number of seconds, not "${value}"`);
  return n;
}

const matches = (node: DiscoveredNode, wanted: string): boolean =>
  node.nodeId === wanted || node.name.toLowerCase() === wanted.toLowerCase() || node.host.toLowerCase().replace(/\.local\.?$/, '') === wanted.toLowerCase();

/**
 * The advertisements of `wanted` (a node id or host name) heard within `timeoutS`. Waits the whole time once one is
 * heard only briefly more, so an impostor answering alongside the real node is seen too.
 */
async function findNode(wanted: string, timeoutS: number, signal: AbortSignal): Promise<DiscoveredNode[]> {
  const discovery = new FleetDiscovery();
  try {
    discovery.start();
    const deadline = Date.now() + timeoutS * 1000;
    let firstSeen: number | undefined;
    while (Date.now() < deadline && !signal.aborted) {
      const found = discovery.nodes().filter((n) => matches(n, wanted));
      if (found.length > 0) firstSeen ??= Date.now();
      // One more second after the first answer: every responder on the LAN answers the same query.
      if (firstSeen !== undefined && Date.now() - firstSeen > 1000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return discovery.nodes().filter((n) => matches(n, wanted));
  } finally {
    await discovery.stop();
  }
}

/** The one advertisement to pair with, after refusing impostors and ambiguity. */
function chooseNode(wanted: string, found: DiscoveredNode[], fleetDir: string): DiscoveredNode {
  const inventory = FleetInventory.open(fleetDir);
  let known;
  try {
    known = inventory.knownNodes();
  } finally {
    inventory.close();
  }
  const genuine = found.filter((n) => {
    const verdict = classifyAdvertisement({ nodeId: n.nodeId, fingerprint: n.txt.fingerprint, name: n.name, host: n.host }, known);
    return verdict.kind !== 'impostor';
  });
  if (found.length > 0 && genuine.length === 0) {
    throw new MaculaError('ERR_NODE_IMPOSTOR', `every node answering as ${wanted} contradicts what this desktop knows (pinned certificate or host name): impostor; nothing was sent`);
  }
  const node = genuine[0];
  if (!node) throw new MaculaError('ERR_NODE_NOT_FOUND', `no node ${wanted} answered on the local network (mDNS _macula._tcp)`);
  if (genuine.length > 1) {
    throw new MaculaError('ERR_NODE_IMPOSTOR', `${genuine.length} nodes answer as ${wanted} with different certificates; pair by node id, or check the network`);
  }
  return node;
}

/** Prints the device-flow codes once per user code: the code, the link, and a QR code on a terminal. */
function statusReporter(out: Output): (status: PairingStatus) => Promise<void> {
  let shown: string | undefined;
  return async (status) => {
    if (status.state !== 'awaiting_user') return out.event('pairing', { state: status.state }, `pairing: ${status.state}`);
    if (status.user_code === shown) return;
    shown = status.user_code;
    const link = status.verification_uri_complete ?? status.verification_uri;
    const qr = out.json ? '' : `\n${await qrText(link, { type: 'terminal', small: true })}`;
    out.event(
      'user_code',
      { user_code: status.user_code, verification_uri: status.verification_uri, verification_uri_complete: status.verification_uri_complete ?? null, expires_in: status.expires_in },
      `Open ${status.verification_uri} and enter the code ${status.user_code} (or open ${link}); it expires in ${Math.round(status.expires_in / 60)} min${qr}`,
    );
  };
}

/** `macula pair NODE`: find a node this desktop flashed and pair it with the Portal, no phone needed. */
export const pairCommand: Command = {
  usage: 'macula pair NODE-ID|HOSTNAME [--find-timeout S] [--timeout S] [--json]',
  summary: 'pair a node this desktop flashed with the Portal: proves the seeded key both ways, shows the device-flow code',
  options: { 'find-timeout': { type: 'string' }, timeout: { type: 'string' } },
  async run({ args, out, signal }) {
    const wanted = args.positional(0, 'NODE-ID|HOSTNAME');
    const fleetDir = defaultFleetDir();
    const found = await findNode(wanted, seconds(args.string('find-timeout'), DEFAULT_FIND_S, '--find-timeout'), signal);
    const node = chooseNode(wanted, found, fleetDir);
    const address = node.addresses.find((a) => !a.includes(':')) ?? node.addresses[0];
    if (address === undefined) throw new MaculaError('ERR_NODE_NOT_FOUND', `node ${wanted} advertises no address`);
    const endpoint = { host: address, port: node.txt.apiPort, fingerprint: node.txt.fingerprint };
    out.event('found', { nodeId: node.nodeId, name: node.name, address, port: endpoint.port, state: node.txt.state }, `found ${node.name} (${node.nodeId}) at ${address}:${endpoint.port}, ${node.txt.state}`);
    const report = statusReporter(out);
    let pending = Promise.resolve();
    const paired = await pairNode({
      nodeId: node.nodeId,
      endpoint,
      fleetDir,
      signal,
      timeoutMs: seconds(args.string('timeout'), 15 * 60, '--timeout') * 1000,
      onStatus: (status) => void (pending = pending.then(() => report(status))),
    });
    await pending;
    const inventory = FleetInventory.open(fleetDir);
    try {
      inventory.recordSighting({ nodeId: node.nodeId, state: 'paired', fingerprint: endpoint.fingerprint, osVersion: node.txt.osVersion, addresses: node.addresses, interfaces: node.interfaces, seenAt: new Date() });
    } finally {
      inventory.close();
    }
    out.event('paired', { nodeId: node.nodeId, user_name: paired.user_name, org_identity: paired.org_identity }, `Paired ${node.name} (${node.nodeId}) for ${paired.user_name} in ${paired.org_identity}`);
  },
};
