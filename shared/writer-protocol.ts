import { z } from 'zod';
import { maculaErrorCodeSchema } from './ipc-error';

/**
 * The writer process protocol: JSON lines over stdio between an unprivileged app and `macula write --ipc`, which is
 * the only part that runs elevated (pkexec, macOS authorization, UAC). The writer validates every request line with
 * these schemas, the client every event line; anything else is a protocol error.
 */

export const WRITER_PROTOCOL_VERSION = 1;

/** Largest seed text accepted over the protocol (the seed schema itself caps files at 4 MiB in all). */
const MAX_SEED_TEXT = 8 * 1024 * 1024;

const path = z.string().min(1).max(4096);
const byteCount = z.number().int().nonnegative();
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** App → writer: write one image to targets, or cancel the write in progress. */
export const writerRequestSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('write'),
    version: z.literal(WRITER_PROTOCOL_VERSION),
    image: path,
    targets: z.array(path).min(1).max(32),
    verify: z.boolean(),
    /** Write every block even where a discarded target reads back zeros (default: such targets skip zero blocks). */
    writeZeros: z.boolean().optional(),
    /** A .bmap file: write (and read back) only the blocks it maps; the writer parses and checks it itself. */
    bmap: path.optional(),
    /**
     * Seeding: the cloud-config (YAML text) for each target, in `targets` order, each target its own. The writer parses
     * and validates each again and puts it in a new MACULAOS_STATE partition after the image. Holds secrets: never logged.
     */
    seeds: z.array(z.string().max(MAX_SEED_TEXT)).min(1).max(32).optional(),
    /**
     * The SHA-256 of the image file that the unprivileged side verified against the signed SHA256SUMS (or a hash the
     * user gave). The writer hashes the file as it reads it and writes chunk 0 (the image's first 4 MiB, written last)
     * only when the two are equal: nothing unverified becomes bootable, whatever happened to the file meanwhile.
     */
    sha256: sha256Hex.optional(),
    /**
     * The image file is still being downloaded (docs/flashing.md, "Streaming from a download"): reads that reach its
     * current end wait for more until a `grown` request says where it ends (or a `cancel`). `size` is the length the
     * server announced, for sizing and progress only: the `grown` size ends the reads, and the hash decides chunk 0.
     */
    growing: z.boolean().optional(),
    size: byteCount.optional(),
  }),
  z.strictObject({ kind: z.literal('cancel') }),
  /** The growing image's download completed and its SHA-256 matched: the file ends at `size`. */
  z.strictObject({ kind: z.literal('grown'), size: byteCount }),
]);

export const writePhaseSchema = z.enum(['writing', 'verifying', 'done', 'failed']);

/** Why a target failed, in a form that survives IPC and JSON output. */
export const targetErrorSchema = z.strictObject({
  code: maculaErrorCodeSchema,
  message: z.string(),
  offset: byteCount.optional(),
  /**
   * For a verification mismatch: SHA-256 of the image and of the target's first image-size bytes (with a block map: the
   * bad range's checksum in the bmap and on the target; for an image written out of order: the first bad chunk's).
   */
  expected: z.string().optional(),
  actual: z.string().optional(),
});

/** The MACULAOS_STATE partition a seeded target got. */
export const stateResultSchema = z.strictObject({
  table: z.enum(['mbr', 'gpt']),
  /** 1-based partition number (`/dev/sdX3`, `/dev/loop0p3`). */
  partition: z.number().int().positive(),
  offset: byteCount,
  size: byteCount,
  /** UUID of its ext4 filesystem. */
  uuid: z.uuid(),
});

/** How one target ended; `notes` say where the write departed from the norm (no O_DIRECT, volumes unmounted). */
export const targetResultSchema = z.discriminatedUnion('ok', [
  z.strictObject({ path, ok: z.literal(true), verified: z.boolean(), notes: z.array(z.string()), state: stateResultSchema.optional() }),
  z.strictObject({ path, ok: z.literal(false), error: targetErrorSchema, notes: z.array(z.string()) }),
]);

/** Writer → app: per-target progress, then exactly one `result` or `error`. */
export const writerEventSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('progress'),
    target: path,
    phase: writePhaseSchema,
    bytes: byteCount,
    total: byteCount.optional(),
    rate: z.number().nonnegative(),
    etaSeconds: z.number().nonnegative().optional(),
  }),
  z.strictObject({
    kind: z.literal('result'),
    sha256: sha256Hex.optional(),
    size: byteCount,
    targets: z.array(targetResultSchema),
  }),
  z.strictObject({ kind: z.literal('error'), code: z.string(), message: z.string() }),
]);

export type WriterRequest = z.infer<typeof writerRequestSchema>;
export type WriterEvent = z.infer<typeof writerEventSchema>;
export type WriterResult = Extract<WriterEvent, { kind: 'result' }>;
