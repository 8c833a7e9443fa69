import { readFile } from 'node:fs/promises';
import { type SignedSeedReport, seedReportSchema } from '../../../shared/fleet/seed-report';
import { seedReportMac } from '../../../electron/engine/fleet/seed-report-mac';

/**
 * The seed applier's report (image-build/seed-apply/report.ts), MACed with the node's pairing key for a desktop with a
 * session (shared/fleet/seed-report.ts). Re-serialised after validation, so the bytes MACed are exactly the JSON
 * the schema allows; undefined when there is no report (no seed this boot) or it is not one.
 */
export async function readSeedReport(path: string, nodeId: string, key: Uint8Array, fingerprint: Uint8Array): Promise<SignedSeedReport | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  const parsed = seedReportSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const report = JSON.stringify(parsed.data);
  return { node_id: nodeId, report, mac: seedReportMac(key, nodeId, fingerprint, report) };
}
