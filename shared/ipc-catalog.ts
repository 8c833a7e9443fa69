import { z } from 'zod';
import { catalogSchema } from './catalog';
import { downgradeSchema } from './catalog-seen';

/**
 * `catalog.load`: the release catalog (the default, or `url`), verified against its detached signature by the release
 * key unless it is the copy bundled with the app (docs/acquisition.md). A signed catalog older than one seen before is
 * refused with ERR_CATALOG_DOWNGRADE unless the user chose to see it anyway (`allowDowngrade`); then `downgrades`
 * says what is older.
 */
export const catalogLoadChannel = {
  request: z.strictObject({ url: z.string().min(1).optional(), allowDowngrade: z.boolean().optional() }),
  response: z.strictObject({
    catalog: catalogSchema,
    source: z.enum(['remote', 'file', 'bundled']),
    location: z.string(),
    /** Fingerprint of the key that signed the catalog; absent for the bundled copy. */
    signer: z.string().optional(),
    fallbackReason: z.string().optional(),
    downgrades: z.array(downgradeSchema).optional(),
  }),
} as const;
