import { z } from 'zod';
import { reportedErrorCodeSchema } from './ipc-error';
import { fleetEventSchemas } from './ipc-fleet';
import { portalEventSchemas } from './ipc-portal';
import { targetErrorSchema as writerTargetErrorSchema } from './writer-protocol';

/**
 * Engine → renderer events, one schema for both pushes: Server-Sent Events in the browser shell, webContents.send in
 * Electron. The renderer validates every event with `engineEventSchema` before it touches state.
 */

const byteCount = z.number().int().nonnegative();
const flashId = z.string().min(1);
const errorSchema = z.strictObject({ code: reportedErrorCodeSchema, message: z.string() });
/**
 * Why one target failed, as the writer reported it (its offset, expected and actual checksums kept); ERR_INTERNAL too,
 * for a target the app itself had to stop.
 */
const targetErrorSchema = writerTargetErrorSchema.extend({ code: reportedErrorCodeSchema });

/** Rate and time left of a byte-moving step. */
const meter = { bytes: byteCount, total: byteCount.optional(), rate: z.number().nonnegative(), etaSeconds: z.number().nonnegative().optional() };

export const flashTargetResultSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    target: z.string(),
    ok: z.literal(true),
    verified: z.boolean(),
    notes: z.array(z.string()),
    /** The MACULAOS_STATE partition the seed went to. */
    state: z.strictObject({ table: z.enum(['mbr', 'gpt']), partition: z.number().int().positive() }).optional(),
    /** The seeded node: its host name and pairing node id (not secret: it is in its mDNS TXT record too). */
    hostname: z.string().optional(),
    nodeId: z.string().optional(),
  }),
  z.strictObject({ target: z.string(), ok: z.literal(false), error: targetErrorSchema, notes: z.array(z.string()) }),
]);
export type FlashTargetResult = z.infer<typeof flashTargetResultSchema>;

export const FLASH_STAGES = ['downloading', 'checking', 'writing'] as const;

export const engineEventSchema = z.discriminatedUnion('type', [
  /** Drives came or went: list them again. */
  z.strictObject({ type: z.literal('drives.changed'), added: z.array(z.string()), removed: z.array(z.string()) }),
  /** The flash as a whole moved on (the download reports its bytes). */
  z.strictObject({ type: z.literal('flash.stage'), flashId, stage: z.enum(FLASH_STAGES), ...meter }),
  /**
   * The image's download, reported on its own: a catalog image is written while it downloads (docs/flashing.md,
   * "Streaming from a download"), so it runs beside the targets' writes. `verified`: complete, and its SHA-256 matched
   * the signed one (also sent for an image read from the cache).
   */
  z.strictObject({ type: z.literal('flash.download'), flashId, ...meter, verified: z.boolean() }),
  /** One target's write or read-back. */
  z.strictObject({ type: z.literal('flash.progress'), flashId, target: z.string(), phase: z.enum(['writing', 'verifying', 'done', 'failed']), ...meter }),
  z.strictObject({ type: z.literal('flash.target'), flashId, result: flashTargetResultSchema }),
  /** Exactly one per flash, last. */
  z.strictObject({
    type: z.literal('flash.finished'),
    flashId,
    outcome: z.enum(['succeeded', 'failed', 'cancelled']),
    sha256: z.string().optional(),
    size: byteCount.optional(),
    error: errorSchema.optional(),
  }),
  ...fleetEventSchemas,
  ...portalEventSchemas,
]);
export type EngineEvent = z.infer<typeof engineEventSchema>;
export type FlashEvent = Extract<EngineEvent, { type: `flash.${string}` }>;
export type FleetEvent = Extract<EngineEvent, { type: `fleet.${string}` }>;
export type PortalEvent = Extract<EngineEvent, { type: `portal.${string}` }>;

/** Whether an event belongs to a flash (the flash view's reducer takes only these). */
export function isFlashEvent(event: EngineEvent): event is FlashEvent {
  return event.type.startsWith('flash.');
}
