import { toString as qrText } from 'qrcode';
import { MaculaError } from '../../../shared/errors';
import type { PairingStatus } from '../../../shared/fleet/node-api';
import { type SeedReport, seedReportLine } from '../../../shared/fleet/seed-report';
import { defaultFleetDir } from '../../engine/fleet/fleet-dir';
import type { DiscoveredNode } from '../../engine/fleet/discovery';
import { chooseNode, findNode, nodeEndpoint } from '../../engine/fleet/find-node';
import type { NodeEndpoint } from '../../engine/fleet/pinned-https';
import type { KnownNode } from '../../engine/fleet/impostor';
import { FleetInventory } from '../../engine/fleet/inventory';
import { pairNode } from '../../engine/fleet/pair-node';
import { sightingOf } from '../../engine/fleet/sighting';
import type { Command } from '../command';
import type { Output } from '../output';

/** How long to look for the node on the LAN by default: the first mDNS queries and their answers. */
export const DEFAULT_FIND_S = 10;

export function seconds(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new MaculaError('ERR_USAGE', `${flag} must be a positive number of seconds, not "${value}"`);
  return n;
}

/** What impostor detection compares against, read once. */
export function knownNodes(fleetDir: string): KnownNode[] {
  const inventory = FleetInventory.open(fleetDir);
  try {
    return inventory.knownNodes();
  } finally {
    inventory.close();
  }
}

/** Prints the device-flow codes once per user code: the code, the link, and a QR code on a terminal. */
export function statusReporter(out: Output): (status: PairingStatus) => Promise<void> {
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

/** Prints what the node made of its seed, once its MAC checked out (`hostname ✓, wifi ✗ …`). */
export function seedReportReporter(out: Output): (report: SeedReport | undefined) => void {
  return (report) => {
    if (report) out.event('seed_report', { report }, `seed report: ${seedReportLine(report)}`);
    else out.event('seed_report', { report: null }, 'seed report: none (the node applied no seed this boot)');
  };
}

/**
 * Pairs a node this desktop holds the key of and records the sighting, for `macula pair` and `macula adopt`. Returns
 * the `paired` status.
 */
export async function pairFound(node: DiscoveredNode, endpoint: NodeEndpoint, fleetDir: string, ctx: { out: Output; signal: AbortSignal; timeoutS: number }): Promise<Extract<PairingStatus, { state: 'paired' }>> {
  const report = statusReporter(ctx.out);
  let pending = Promise.resolve();
  const paired = await pairNode({
    nodeId: node.nodeId,
    endpoint,
    fleetDir,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutS * 1000,
    onStatus: (status) => void (pending = pending.then(() => report(status))),
    onSeedReport: seedReportReporter(ctx.out),
  });
  await pending;
  const inventory = FleetInventory.open(fleetDir);
  try {
    inventory.recordSighting(sightingOf(node, 'paired'));
  } finally {
    inventory.close();
  }
  return paired;
}

/** `macula pair NODE`: find a node this desktop flashed and pair it with the Portal, no phone needed. */
export const pairCommand: Command = {
  usage: 'macula pair NODE-ID|HOSTNAME [--find-timeout S] [--timeout S] [--json]',
  summary: 'pair a node this desktop flashed or adopted with the Portal: proves the key both ways, shows its seed report and the device-flow code',
  options: { 'find-timeout': { type: 'string' }, timeout: { type: 'string' } },
  async run({ args, out, signal }) {
    const wanted = args.positional(0, 'NODE-ID|HOSTNAME');
    const fleetDir = defaultFleetDir();
    const found = await findNode(wanted, seconds(args.string('find-timeout'), DEFAULT_FIND_S, '--find-timeout'), signal);
    const node = chooseNode(wanted, found, knownNodes(fleetDir));
    const endpoint = nodeEndpoint(node);
    const address = endpoint.host;
    out.event('found', { nodeId: node.nodeId, name: node.name, address, port: endpoint.port, state: node.txt.state }, `found ${node.name} (${node.nodeId}) at ${address}:${endpoint.port}, ${node.txt.state}`);
    const paired = await pairFound(node, endpoint, fleetDir, { out, signal, timeoutS: seconds(args.string('timeout'), 15 * 60, '--timeout') });
    out.event('paired', { nodeId: node.nodeId, user_name: paired.user_name, org_identity: paired.org_identity }, `Paired ${node.name} (${node.nodeId}) for ${paired.user_name} in ${paired.org_identity}`);
  },
};
