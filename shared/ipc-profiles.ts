import { z } from 'zod';
import { profileFormSchema, profileNameSchema, profileSchema } from './profile';

const listing = z.strictObject({ profiles: z.array(profileSchema) });

/** `profiles.list`: the saved Customise profiles, by name. */
export const profilesListChannel = { request: z.strictObject({}), response: listing } as const;

/** `profiles.save`: saves (or replaces, by name) a profile; the form cannot hold secrets (strict schema). */
export const profilesSaveChannel = {
  request: z.strictObject({ name: profileNameSchema, form: profileFormSchema }),
  response: listing,
} as const;

/** `profiles.delete`: removes a profile by name; `deleted` false when there was none. */
export const profilesDeleteChannel = {
  request: z.strictObject({ name: profileNameSchema }),
  response: listing.extend({ deleted: z.boolean() }),
} as const;
