import { z } from 'zod';
import { REFUSAL_REASONS, WARNING_REASONS, driveSchema } from './drive';

const reasoned = <R extends readonly [string, ...string[]]>(reasons: R) => z.strictObject({ reason: z.enum(reasons), message: z.string() });

/** A drive and the verdict on writing the chosen image to it. */
export const driveViewSchema = z.strictObject({
  drive: driveSchema,
  refusals: z.array(reasoned(REFUSAL_REASONS)),
  warnings: z.array(reasoned(WARNING_REASONS)),
  /** Listed by the OS, or added by the user by path (loop devices, which drive listings leave out). */
  origin: z.enum(['os', 'path']),
});
export type DriveView = z.infer<typeof driveViewSchema>;

/**
 * `drives.list`: the drives an image may go to, each classified for that image. System drives come only when asked,
 * as refused; paths the user added (a loop device, an image file) are described and classified the same way.
 * Live updates: the `drives.changed` event says when to ask again.
 */
export const drivesListChannel = {
  request: z.strictObject({
    imagePath: z.string().min(1).max(4096).optional(),
    imageSize: z.number().int().nonnegative().optional(),
    showSystem: z.boolean(),
    extraPaths: z.array(z.string().min(1).max(4096)).max(16),
  }),
  response: z.strictObject({
    drives: z.array(driveViewSchema),
    /** Added paths that cannot be targets (missing, a partition, a directory), with why. */
    problems: z.array(z.strictObject({ path: z.string(), message: z.string() })),
  }),
} as const;
