import { MaculaError } from '../../../shared/errors';
import { portalUrlSchema } from '../../../shared/fleet/seed-formats';
import { adoptNode } from '../../engine/fleet/adopt-node';
import type { DiscoveredNode } from '../../engine/fleet/discovery';
import { defaultFleetDir } from '../../engine/fleet/fleet-dir';
import { chooseNode, findMatching, matchesNode, nodeEndpoint } from '../../engine/fleet/find-node';
import type { Command } from '../command';
import { DEFAULT_FIND_S, knownNodes, pairFound, seconds } from './pair';

/** The one node to adopt among those heard: named, or the only one waiting when no name was given. */
function pick(wanted: string | undefined, found: readonly DiscoveredNode[], fleetDir: string): DiscoveredNode {
  if (wanted !== undefined) {
    const node = chooseNode(wanted, found, knownNodes(fleetDir));
    if (node.txt.state !== 'unadopted') {
      throw new MaculaError('ERR_USAGE', `node ${node.name} (${node.nodeId}) is ${node.txt.state}, not waiting to be adopted: pair it from the desktop that holds its key`);
    }
    return node;
  }
  const waiting = found.filter((n) => n.txt.state === 'unadopted');
  const first = waiting[0];
  if (!first) throw new MaculaError('ERR_NODE_NOT_FOUND', 'no node waiting to be adopted answered on the local network (mDNS _macula._tcp, st=unadopted)');
  if (waiting.length > 1) {
    throw new MaculaError('ERR_USAGE', `${waiting.length} nodes wait to be adopted (${waiting.map((n) => n.name).join(', ')}): name the one whose console shows the code`);
  }
  return chooseNode(first.nodeId, waiting, knownNodes(fleetDir));
}

/**
 * `macula adopt [NODE] --code CODE`: adopt a node this desktop did not seed, by the setup code on its console (CPace,
 * shared/fleet/adopt-api.ts), then pair it with the Portal exactly as `macula pair` does.
 */
export const adoptCommand: Command = {
  usage: 'macula adopt [NODE-ID|HOSTNAME] --code CODE [--portal URL] [--no-pair] [--find-timeout S] [--timeout S] [--json]',
  summary: "adopt a node not seeded here by the setup code on its console (a PAKE: the code never crosses the network), then pair it",
  options: { code: { type: 'string' }, portal: { type: 'string' }, 'no-pair': { type: 'boolean' }, 'find-timeout': { type: 'string' }, timeout: { type: 'string' } },
  async run({ args, out, signal }) {
    const wanted = args.positionals[0];
    const code = args.string('code');
    if (code === undefined) throw new MaculaError('ERR_USAGE', 'give the setup code shown on the node\'s console: --code XXXXX-XXXXX');
    const portal = args.string('portal');
    if (portal !== undefined && !portalUrlSchema.safeParse(portal).success) throw new MaculaError('ERR_USAGE', `--portal must be an https:// URL, not "${portal}"`);
    const fleetDir = defaultFleetDir();
    const findS = seconds(args.string('find-timeout'), DEFAULT_FIND_S, '--find-timeout');
    const found = await findMatching((n) => (wanted === undefined ? n.txt.state === 'unadopted' : matchesNode(n, wanted)), findS, signal);
    const node = pick(wanted, found, fleetDir);
    const endpoint = nodeEndpoint(node);
    out.event('found', { nodeId: node.nodeId, name: node.name, address: endpoint.host, port: endpoint.port, state: node.txt.state }, `found ${node.name} (${node.nodeId}) at ${endpoint.host}:${endpoint.port}, waiting to be adopted`);
    await adoptNode({ nodeId: node.nodeId, hostname: node.name, osVersion: node.txt.osVersion, endpoint, code, fleetDir, ...(portal ? { portalUrl: portal } : {}) });
    out.event('adopted', { nodeId: node.nodeId, name: node.name, fingerprint: endpoint.fingerprint }, `Adopted ${node.name} (${node.nodeId}): its certificate is pinned and it holds a pairing key from this desktop`);
    if (args.flag('no-pair')) return;
    const paired = await pairFound(node, endpoint, fleetDir, { out, signal, timeoutS: seconds(args.string('timeout'), 15 * 60, '--timeout') });
    out.event('paired', { nodeId: node.nodeId, user_name: paired.user_name, org_identity: paired.org_identity }, `Paired ${node.name} (${node.nodeId}) for ${paired.user_name} in ${paired.org_identity}`);
  },
};
