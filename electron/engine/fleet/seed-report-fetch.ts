import { MaculaError } from '../../../shared/errors';
import { base64urlToBytes } from '../../../shared/fleet/base64url';
import { NODE_API } from '../../../shared/fleet/node-api';
import { type SeedReport, type SignedSeedReport, seedReportSchema } from '../../../shared/fleet/seed-report';
import { FleetInventory } from './inventory';
import { expectAnswer } from './node-session';
import { type NodeEndpoint, callNode } from './pinned-https';
import { seedReportMacMatches } from './seed-report-mac';

/**
 * The node's seed report (shared/fleet/seed-report.ts), desktop side: fetched in a session, its MAC checked with the
 * pairing key over the exact bytes received — only then parsed — and kept in the inventory.
 */

/** The report inside `signed`, or ERR_SEED_REPORT_INVALID when it is not this node's, under this key and certificate. */
export function verifySeedReport(signed: SignedSeedReport, expected: { nodeId: string; key: Uint8Array; fingerprint: string }): SeedReport {
  if (signed.node_id !== expected.nodeId || !seedReportMacMatches(expected.key, expected.nodeId, base64urlToBytes(expected.fingerprint), signed.report, signed.mac)) {
    throw new MaculaError('ERR_SEED_REPORT_INVALID', `the seed report of node ${expected.nodeId} does not carry its pairing key's MAC: refused, not shown`);
  }
  try {
    return seedReportSchema.parse(JSON.parse(signed.report) as unknown);
  } catch {
    throw new MaculaError('ERR_SEED_REPORT_INVALID', `the seed report of node ${expected.nodeId} is not a seed report`);
  }
}

/** Fetches, checks and stores the report; undefined when the node has none (it applied no seed this boot). */
export async function fetchSeedReport(endpoint: NodeEndpoint, token: string, nodeId: string, key: Uint8Array, fleetDir: string): Promise<SeedReport | undefined> {
  const res = await callNode(endpoint, 'GET', NODE_API.seedReport.path, { token });
  if (res.status === 404) return undefined;
  const signed = expectAnswer(res, NODE_API.seedReport.response, 'seed-report');
  const report = verifySeedReport(signed, { nodeId, key, fingerprint: endpoint.fingerprint });
  const inventory = FleetInventory.open(fleetDir);
  try {
    inventory.setSeedReport(nodeId, signed.report);
  } finally {
    inventory.close();
  }
  return report;
}
