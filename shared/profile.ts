import { z } from 'zod';
import { type SeedForm, seedFormSchema } from './seed-form';

/**
 * Saved Customise profiles: the form without its secrets, under a name the user chose. Secrets (enrollment token, Wi-Fi
 * passphrase) are never saved: the schemas below have no place for them and, being strict, refuse a profile that
 * carries one — in a request and in the file alike.
 */

/** The form as a profile holds it: every field but the secrets. */
export const profileFormSchema = seedFormSchema.omit({ portalToken: true, wifiPassphrase: true });
export type ProfileForm = z.infer<typeof profileFormSchema>;

/** A name a person types and reads back: trimmed, 1–64 characters, no control characters. */
export const profileNameSchema = z
  .string()
  .trim()
  .min(1, 'give the profile a name')
  .max(64, 'must be at most 64 characters')
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

export const profileSchema = z.strictObject({
  name: profileNameSchema,
  /** ISO 8601, when it was last saved. */
  savedAt: z.iso.datetime(),
  form: profileFormSchema,
});
export type Profile = z.infer<typeof profileSchema>;

/** The profiles file (`profiles.json` in the user's config directory, mode 0600). */
export const profileFileSchema = z.strictObject({
  version: z.literal(1),
  profiles: z.array(profileSchema).max(200),
});
export type ProfileFile = z.infer<typeof profileFileSchema>;

/** What of a form a profile keeps: everything but the secrets. */
export function profileFormOf(form: SeedForm): ProfileForm {
  const { portalToken: _token, wifiPassphrase: _passphrase, ...rest } = form;
  return rest;
}

/** A profile loaded into the form: its fields, with the secrets blank (they were never saved). */
export function formOfProfile(profile: Profile): SeedForm {
  return { ...profile.form, portalToken: '', wifiPassphrase: '' };
}
