import { z } from 'zod';
import { signInIdSchema } from './ipc-portal';
import { seedFormSchema } from './seed-form';

const path = z.string().min(1).max(4096);

/** The image to flash: a local file, or a catalog entry (downloaded and signature-checked first, as `macula download`). */
export const imageChoiceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('file'), path }),
  z.strictObject({
    kind: z.literal('catalog'),
    entryId: z.string().min(1).max(200),
    catalogUrl: path.optional(),
    /** The user chose to use a catalog older than one seen before (shared/ipc-catalog.ts). */
    allowDowngrade: z.boolean().optional(),
  }),
]);
export type ImageChoice = z.infer<typeof imageChoiceSchema>;

/**
 * `flash.start`: the seed form is checked and expanded per target before the flash id is returned (a bad seed is the
 * reply's error); everything after (download, target checks, write, verify) is reported as `flash.*` events.
 */
export const flashStartChannel = {
  request: z.strictObject({
    image: imageChoiceSchema,
    targets: z.array(path).min(1).max(32),
    /** null: the image alone, no MACULAOS_STATE partition. */
    seed: seedFormSchema.nullable(),
    /**
     * A finished `portal.signIn` whose session mints one enrollment token per target, each for that target's node id
     * (the form's token field is then empty: a pasted token is redeemable once, so it seeds one target only).
     */
    portalSignInId: signInIdSchema.optional(),
    verify: z.boolean(),
  }),
  response: z.strictObject({ flashId: z.string().min(1) }),
} as const;

/** `flash.cancel`: stops a running flash; targets not finished end failed with ERR_ABORTED. */
export const flashCancelChannel = {
  request: z.strictObject({ flashId: z.string().min(1) }),
  response: z.strictObject({ cancelled: z.boolean() }),
} as const;
