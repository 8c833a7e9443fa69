import { z } from 'zod';

/** `image.inspect`: what a local image file is, read from its bytes (no full hash: that is the flash's job). */
export const imageInspectChannel = {
  request: z.strictObject({ path: z.string().min(1).max(4096) }),
  response: z.strictObject({
    path: z.string(),
    compression: z.enum(['none', 'gzip', 'xz', 'zstd', 'bzip2', 'zip']),
    /** Bytes of the file on disk. */
    compressedSize: z.number().int().nonnegative(),
    layout: z.enum(['iso9660', 'gpt', 'mbr', 'unknown']),
    /** Bytes the image takes on a target, when the container records it. */
    size: z.number().int().nonnegative().optional(),
    partitionTable: z.enum(['mbr', 'gpt']).optional(),
    partitions: z.number().int().nonnegative(),
    volumeId: z.string().optional(),
  }),
} as const;
