import { MaculaError } from '../../../shared/errors';
import { type DiscoveredNode, type DiscoveryOptions, FleetDiscovery } from './discovery';
import { type KnownNode, type Verdict, classifyAdvertisement } from './impostor';
import type { NodeEndpoint } from './pinned-https';

/**
 * Finding the one node to pair with, shared by `macula pair` and the app: which advertisements name it, which of them
 * to trust (never an impostor, never one of two that disagree), and where its API answers.
 */

/** Whether an advertisement names `wanted`: its node id, its DNS-SD instance name or its host (case-insensitive, RFC 6762 §16). */
export function matchesNode(node: DiscoveredNode, wanted: string): boolean {
  const lower = wanted.toLowerCase();
  return node.nodeId === wanted || node.name.toLowerCase() === lower || node.host.toLowerCase().replace(/\.local\.?$/, '') === lower;
}

/** The verdict of the inventory on one advertisement (impostor.ts). */
export function judgeNode(node: DiscoveredNode, known: readonly KnownNode[]): Verdict {
  return classifyAdvertisement({ nodeId: node.nodeId, fingerprint: node.txt.fingerprint, name: node.name, host: node.host }, known);
}

/**
 * The advertisements of `wanted` heard within `timeoutS` by a discovery of its own. Once one is heard it listens one
 * second more, so an impostor answering alongside the real node is seen too.
 */
export async function findNode(wanted: string, timeoutS: number, signal: AbortSignal | undefined, options: DiscoveryOptions = {}): Promise<DiscoveredNode[]> {
  return findMatching((n) => matchesNode(n, wanted), timeoutS, signal, options);
}

/** The advertisements `match` accepts, heard as findNode hears them (`macula adopt` with no name: every unadopted node). */
export async function findMatching(match: (node: DiscoveredNode) => boolean, timeoutS: number, signal: AbortSignal | undefined, options: DiscoveryOptions = {}): Promise<DiscoveredNode[]> {
  const discovery = new FleetDiscovery(options);
  try {
    discovery.start();
    const deadline = Date.now() + timeoutS * 1000;
    let firstSeen: number | undefined;
    while (Date.now() < deadline && !signal?.aborted) {
      const found = discovery.nodes().filter(match);
      if (found.length > 0) firstSeen ??= Date.now();
      // One more second after the first answer: every responder on the LAN answers the same query.
      if (firstSeen !== undefined && Date.now() - firstSeen > 1000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return discovery.nodes().filter(match);
  } finally {
    await discovery.stop();
  }
}

/** The one advertisement to pair with among `found`, after refusing impostors and ambiguity. */
export function chooseNode(wanted: string, found: readonly DiscoveredNode[], known: readonly KnownNode[]): DiscoveredNode {
  const genuine = found.filter((n) => judgeNode(n, known).kind !== 'impostor');
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

/** The address to reach a node at: IPv4 first (a link-local IPv6 address needs a zone the record does not carry). */
export function nodeAddress(node: DiscoveredNode): string | undefined {
  return node.addresses.find((a) => !a.includes(':')) ?? node.addresses[0];
}

/** Where the node's agent API answers, with the certificate fingerprint it advertises (checked before anything is sent). */
export function nodeEndpoint(node: DiscoveredNode): NodeEndpoint {
  const address = nodeAddress(node);
  if (address === undefined) throw new MaculaError('ERR_NODE_NOT_FOUND', `node ${node.nodeId} advertises no address`);
  return { host: address, port: node.txt.apiPort, fingerprint: node.txt.fingerprint };
}
