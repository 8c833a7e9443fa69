import { z } from 'zod';
import { fieldMessageSchema, seedFormSchema, seedSummarySchema } from './seed-form';

/**
 * `seed.validate`: the Customise form checked against the seed schema, every problem beside its field. A valid form
 * comes back as a summary that says whether a token is set, never the token.
 */
export const seedValidateChannel = {
  request: z.strictObject({ form: seedFormSchema }),
  response: z.discriminatedUnion('ok', [
    z.strictObject({ ok: z.literal(true), summary: seedSummarySchema, warnings: z.array(fieldMessageSchema) }),
    z.strictObject({ ok: z.literal(false), errors: z.array(fieldMessageSchema) }),
  ]),
} as const;
