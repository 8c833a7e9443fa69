import { z } from 'zod';
import { type Seed, seedTemplateSchema, seedWarnings } from './seed';

/**
 * The Customise form of the app: plain strings and booleans as the user types them (blank = not set), turned into a
 * seed (hostname may be a batch template) and checked with the seed schema, every problem reported on the form field
 * that caused it. Secrets (the enrollment token) go in but never come back out: the summary only says one is set.
 */

export const SEED_FORM_FIELDS = ['hostname', 'timezone', 'keyboard', 'locale', 'meshBootstrap', 'meshRelay', 'portalUrl', 'portalToken', 'sshKeys', 'wifiSsid', 'wifiPassphrase'] as const;
export type SeedFormField = (typeof SEED_FORM_FIELDS)[number];

const text = (max: number) => z.string().max(max);

export const seedFormSchema = z.strictObject({
  /** A host name, or a batch template such as `edge-{nn}`. */
  hostname: text(300),
  timezone: text(100),
  keyboard: text(100),
  locale: text(100),
  meshBootstrap: z.boolean(),
  meshRelay: z.boolean(),
  portalUrl: text(2048),
  /** Secret: never logged, never echoed. */
  portalToken: text(4096),
  /** OpenSSH public keys, one per line; blank lines and `#` comments ignored. */
  sshKeys: text(64 * 1024),
  /** One Wi-Fi network (`maculaos.wifi[0]`); blank with a blank passphrase = none. */
  wifiSsid: text(200),
  /** Secret (WPA passphrase): never logged, never echoed, never saved in a profile. */
  wifiPassphrase: text(200),
});
export type SeedForm = z.infer<typeof seedFormSchema>;

export const EMPTY_SEED_FORM: SeedForm = {
  hostname: '',
  timezone: '',
  keyboard: '',
  locale: '',
  meshBootstrap: false,
  meshRelay: false,
  portalUrl: '',
  portalToken: '',
  sshKeys: '',
  wifiSsid: '',
  wifiPassphrase: '',
};

/** The form fields that hold secrets: sent to the engine to be seeded, never sent back, saved or logged. */
export const SECRET_FORM_FIELDS = ['portalToken', 'wifiPassphrase'] as const satisfies readonly SeedFormField[];

/** A message about one form field (`form`: about the whole seed). */
export const fieldMessageSchema = z.strictObject({ field: z.enum([...SEED_FORM_FIELDS, 'form']), message: z.string() });
export type FieldMessage = z.infer<typeof fieldMessageSchema>;

/** What a valid form will seed, without its secrets. */
export const seedSummarySchema = z.strictObject({
  hostname: z.string().optional(),
  /** The hostname is a batch template, expanded per target at flash time. */
  template: z.boolean(),
  timezone: z.string().optional(),
  keyboard: z.string().optional(),
  locale: z.string().optional(),
  mesh: z.strictObject({ bootstrap: z.boolean(), relay: z.boolean() }),
  portalUrl: z.string().optional(),
  hasEnrollmentToken: z.boolean(),
  sshKeyCount: z.number().int().nonnegative(),
  wifiSsid: z.string().optional(),
  hasWifiPassphrase: z.boolean(),
});
export type SeedSummary = z.infer<typeof seedSummarySchema>;

export type SeedFormResult =
  | { readonly ok: true; readonly seed: Seed; readonly summary: SeedSummary; readonly warnings: FieldMessage[] }
  | { readonly ok: false; readonly errors: FieldMessage[] };

/** The non-blank, non-comment lines of the SSH keys box. */
export function sshKeyLines(box: string): string[] {
  return box
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

const blankToUndefined = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** The seed the form describes, before validation (the shape `seedTemplateSchema` parses). */
export function seedInputFromForm(form: SeedForm): Record<string, unknown> {
  const hostname = blankToUndefined(form.hostname);
  const keys = sshKeyLines(form.sshKeys);
  const portalUrl = blankToUndefined(form.portalUrl);
  const token = blankToUndefined(form.portalToken);
  // The SSID is kept as typed (spaces can be part of it); the passphrase too (WPA allows spaces, IEEE 802.11i H.4).
  const wifi = form.wifiSsid.trim() !== '' || form.wifiPassphrase !== '' ? [{ ssid: form.wifiSsid, psk: form.wifiPassphrase }] : undefined;
  const maculaos: Record<string, unknown> = {};
  for (const key of ['timezone', 'keyboard', 'locale'] as const) {
    const value = blankToUndefined(form[key]);
    if (value !== undefined) maculaos[key] = value;
  }
  if (form.meshBootstrap || form.meshRelay) maculaos['mesh'] = { bootstrap: form.meshBootstrap, relay: form.meshRelay };
  if (portalUrl !== undefined || token !== undefined) maculaos['portal'] = { url: portalUrl, ...(token !== undefined ? { enrollment_token: token } : {}) };
  if (wifi !== undefined) maculaos['wifi'] = wifi;
  return { ...(hostname !== undefined ? { hostname } : {}), ...(keys.length > 0 ? { ssh_authorized_keys: keys } : {}), maculaos };
}

/** Which form field a seed schema path belongs to. */
function fieldOf(path: readonly PropertyKey[]): SeedFormField | 'form' {
  const [head, second, third] = path;
  if (head === 'hostname') return 'hostname';
  if (head === 'ssh_authorized_keys') return 'sshKeys';
  if (head !== 'maculaos') return 'form';
  if (second === 'timezone' || second === 'keyboard' || second === 'locale') return second;
  if (second === 'mesh') return 'meshBootstrap';
  if (second === 'portal') return third === 'enrollment_token' ? 'portalToken' : 'portalUrl';
  // maculaos.wifi[0].ssid / .psk: the form has one network.
  if (second === 'wifi') return path[3] === 'psk' ? 'wifiPassphrase' : 'wifiSsid';
  return 'form';
}

/** An issue's message for its field: which SSH key line, and a plainer word for a missing Portal URL. */
function messageOf(issue: z.core.$ZodIssue, field: SeedFormField | 'form'): string {
  if (field === 'portalUrl' && issue.code === 'invalid_type') return 'give the Portal URL the enrollment token is for';
  if (field === 'wifiSsid' && issue.path[3] === 'ssid') return `the network name ${issue.message}`;
  if (field === 'wifiPassphrase') return `the passphrase ${issue.message}`;
  if (field === 'sshKeys' && typeof issue.path[1] === 'number') return `key ${issue.path[1] + 1} ${issue.message}`;
  return issue.message;
}

/** Warnings as field messages: seedWarnings' sentences, each put beside the field it is about. */
function fieldWarnings(seed: Seed): FieldMessage[] {
  return seedWarnings(seed).map((message) => ({
    // seedWarnings names no field; these are its two field-bound sentences (shared/seed.ts).
    field: message.startsWith('a bootstrap node') ? 'meshBootstrap' : message.startsWith('portal.url without') ? 'portalToken' : 'form',
    message,
  }));
}

/** A secret never travels back to the UI, even inside a library's message. */
function scrub(message: string, secrets: readonly string[]): string {
  return secrets.reduce((m, s) => (s.length >= 4 ? m.split(s).join('••••') : m), message);
}

/** Validates the form: the seed and its summary and warnings, or every problem on its field (first per field). */
export function validateSeedForm(form: SeedForm): SeedFormResult {
  const result = seedTemplateSchema.safeParse(seedInputFromForm(form));
  const secrets = [form.portalToken.trim(), form.wifiPassphrase];
  if (!result.success) {
    const errors: FieldMessage[] = [];
    for (const issue of result.error.issues) {
      const field = fieldOf(issue.path);
      if (!errors.some((e) => e.field === field)) errors.push({ field, message: scrub(messageOf(issue, field), secrets) });
    }
    return { ok: false, errors };
  }
  const seed = result.data;
  const m = seed.maculaos;
  const summary: SeedSummary = {
    ...(seed.hostname !== undefined ? { hostname: seed.hostname } : {}),
    template: seed.hostname !== undefined && /\{[^}]*\}/.test(seed.hostname),
    ...(m.timezone !== undefined ? { timezone: m.timezone } : {}),
    ...(m.keyboard !== undefined ? { keyboard: m.keyboard } : {}),
    ...(m.locale !== undefined ? { locale: m.locale } : {}),
    mesh: { bootstrap: m.mesh?.bootstrap ?? false, relay: m.mesh?.relay ?? false },
    ...(m.portal !== undefined ? { portalUrl: m.portal.url } : {}),
    hasEnrollmentToken: m.portal?.enrollment_token !== undefined,
    sshKeyCount: seed.ssh_authorized_keys?.length ?? 0,
    ...(m.wifi?.[0] !== undefined ? { wifiSsid: m.wifi[0].ssid } : {}),
    hasWifiPassphrase: m.wifi?.[0] !== undefined,
  };
  return { ok: true, seed, summary, warnings: fieldWarnings(seed) };
}
