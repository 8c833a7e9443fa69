import { z } from 'zod';
import { fingerprintSchema } from '../../../shared/fleet/cert-fingerprint';
import { hostnameSchema, nodeIdSchema, osVersionSchema } from '../../../shared/fleet/seed-formats';
import { seedReportSchema } from '../../../shared/fleet/seed-report';
import { NODE_STATES } from '../../../shared/fleet/txt-record';

/**
 * Row shapes of the fleet inventory (SQLite), checked when read back: the database is a file a user or another
 * version can edit, so what comes out is validated like any other input. Engine-only for now — the renderer will
 * get nodes through the IPC contract, which can re-export these when it needs them.
 */

const isoTime = z.iso.datetime();

/** The seed report column: JSON text, parsed and checked on the way out (null when none was received). */
const storedSeedReport = z
  .string()
  .nullable()
  .transform((text, ctx) => {
    if (text === null) return null;
    try {
      return seedReportSchema.parse(JSON.parse(text) as unknown);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'stored seed report is not a seed report' });
      return z.NEVER;
    }
  });

/**
 * A node this desktop flashed and seeded, or adopted by its setup code. The pairing key is not here: it is in its own
 * 0600 file (key-store.ts).
 */
export const flashedNodeRowSchema = z.object({
  node_id: nodeIdSchema,
  hostname: hostnameSchema,
  image_name: z.string().min(1),
  /** Empty for an adopted node: this desktop never saw its image. */
  image_sha256: z.string().regex(/^([0-9a-f]{64})?$/),
  origin: z.enum(['flashed', 'adopted']).default('flashed'),
  seed_report: storedSeedReport.default(null),
  seeded_at: isoTime,
  /** Pinned at the first authenticated contact (pairing); null before. */
  pinned_fingerprint: fingerprintSchema.nullable(),
});
export type FlashedNodeRow = z.infer<typeof flashedNodeRowSchema>;

/**
 * One period in which a node was seen in the same advertised state: a new row starts when its state, fingerprint
 * or OS version changes; otherwise `last_seen` moves on. The rows of a node are its history.
 */
export const sightingRowSchema = z.object({
  id: z.number().int().positive(),
  node_id: nodeIdSchema,
  first_seen: isoTime,
  last_seen: isoTime,
  state: z.enum(NODE_STATES),
  fingerprint: fingerprintSchema,
  os_version: osVersionSchema,
  /** JSON arrays in the database, parsed here. */
  addresses: z.array(z.string()),
  interfaces: z.array(z.string()),
});
export type SightingRow = z.infer<typeof sightingRowSchema>;

/** A node of the inventory with the last state it was seen in (null if never seen). */
export interface InventoryNode {
  readonly node: FlashedNodeRow;
  readonly lastSeen: SightingRow | null;
}
