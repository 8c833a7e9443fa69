import { z } from 'zod';
import { checkReportSchema, cloneResultSchema, restoreFsSchema, restoreLabelSchema, restoreResultSchema } from './drive-tools';

const path = z.string().min(1).max(4096);

/** `drive.check`: "Check a drive" — the drive read back and compared with a local image (docs/drive-tools.md). */
export const driveCheckChannel = {
  request: z.strictObject({ device: path, image: path }),
  response: checkReportSchema,
} as const;

/** `drive.clone`: "Back up a drive" — the drive read into an image file, compressed by its extension. */
export const driveCloneChannel = {
  request: z.strictObject({ device: path, out: path, whole: z.boolean(), bmap: z.boolean() }),
  response: cloneResultSchema,
} as const;

/**
 * `drive.restore`: "Restore drive" — wiped and given one FAT32/exFAT partition. `confirmed` must be true: the UI asks
 * first, naming the drive's size and model, as it does before a flash.
 */
export const driveRestoreChannel = {
  request: z.strictObject({ device: path, fs: restoreFsSchema.optional(), label: restoreLabelSchema.optional(), confirmed: z.literal(true) }),
  response: restoreResultSchema,
} as const;
