import { z } from 'zod';
import { base64url32Schema } from './base64url';
import { nodeIdSchema } from './seed-formats';

/**
 * What the node made of its seed (issue 14 item 6): per setting, applied, failed (and why) or not applicable (the
 * seed did not ask for it). image-build/seed-apply writes it at every boot; the agent serves it to a desktop with a
 * session, MACed with the pairing key (electron/engine/fleet/seed-report-mac.ts), and the desktop keeps only a
 * report whose MAC checks out.
 */

/** The seed's settings as the report names them, in the order they are applied. */
export const SEED_REPORT_KEYS = [
  'init_cmd',
  'hostname',
  'timezone',
  'keyboard',
  'locale',
  'ssh_authorized_keys',
  'mesh',
  'password',
  'kernel',
  'environment',
  'wifi',
  'time_dns',
  'k3s',
  'commands',
  'write_files',
] as const;
export type SeedReportKey = (typeof SEED_REPORT_KEYS)[number];

export const seedReportEntrySchema = z.discriminatedUnion('status', [
  z.strictObject({ key: z.enum(SEED_REPORT_KEYS), status: z.literal('applied') }),
  z.strictObject({ key: z.enum(SEED_REPORT_KEYS), status: z.literal('failed'), reason: z.string().min(1).max(300) }),
  z.strictObject({ key: z.enum(SEED_REPORT_KEYS), status: z.literal('not_applicable') }),
]);
export type SeedReportEntry = z.infer<typeof seedReportEntrySchema>;

export const seedReportSchema = z.strictObject({
  version: z.literal(1),
  applied_at: z.iso.datetime(),
  entries: z.array(seedReportEntrySchema).max(SEED_REPORT_KEYS.length),
});
export type SeedReport = z.infer<typeof seedReportSchema>;

/**
 * `GET seed-report` (session only): the report as the exact JSON text that was MACed, and the MAC. The desktop checks
 * the MAC over those bytes before it parses anything.
 */
export const signedSeedReportSchema = z.object({
  node_id: nodeIdSchema,
  report: z.string().min(2).max(16_384),
  /** HMAC-SHA256 with the pairing key (seed-report-mac.ts), base64url. */
  mac: base64url32Schema,
});
export type SignedSeedReport = z.infer<typeof signedSeedReportSchema>;

/** One line per report: `hostname ✓, wifi ✗ no firmware for brcmfmac`; not-applicable keys left out. */
export function seedReportLine(report: SeedReport): string {
  const parts = report.entries
    .filter((e) => e.status !== 'not_applicable')
    .map((e) => (e.status === 'applied' ? `${e.key} ✓` : `${e.key} ✗ ${e.reason}`));
  return parts.length > 0 ? parts.join(', ') : 'nothing to apply';
}

/** Whether any setting failed: the Fleet view shows such a node amber. */
export function seedReportFailed(report: SeedReport): boolean {
  return report.entries.some((e) => e.status === 'failed');
}
