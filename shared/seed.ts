import { z } from 'zod';
import { MaculaError } from './errors';

/**
 * The seed: what a freshly flashed node knows at first boot, written to `macula/system/config.yaml` on its
 * `MACULAOS_STATE` partition. Shaped like k3OS's cloud-config (top-level `hostname`, `ssh_authorized_keys`,
 * `write_files`, `run_cmd`, `boot_cmd`), with k3OS's `k3os:` block renamed `maculaos:` (plan §4.1–4.4): keyboard,
 * timezone, locale, mesh roles, live persistence, plus the Portal enrollment and the per-node pairing key.
 * k3s `server_url`/`token` sit directly under `maculaos:`, where k3OS keeps them under `k3os:`.
 */

const MiB = 1024 * 1024;
/** Largest single `write_files` content, in UTF-8 bytes. */
export const MAX_FILE_BYTES = 1 * MiB;
/** Largest sum of all `write_files` contents, in UTF-8 bytes. */
export const MAX_FILES_TOTAL_BYTES = 4 * MiB;

/** Hostname placeholders a batch template may use (see seed-batch.ts). */
export const HOSTNAME_PLACEHOLDERS = ['{n}', '{nn}', '{serial}'] as const;

/** UTF-8 length of a string, without TextEncoder (not in ES2022). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const isIp = (s: string): boolean => IPV4.test(s) || z.ipv6().safeParse(s).success;

/** Why `name` is not an RFC 1123 host name (RFC 1123 §2.1, RFC 952), or undefined if it is one. */
export function hostnameProblem(name: string, { lowerCaseOnly = true } = {}): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.length > 253) return `is ${name.length} characters long, more than 253 (RFC 1123)`;
  if (lowerCaseOnly && name !== name.toLowerCase()) return `must be lower case: write "${name.toLowerCase()}"`;
  if (IPV4.test(name)) return 'looks like an IP address, not a host name';
  for (const label of name.split('.')) {
    if (label === '') return 'has an empty label (two dots in a row, or a leading or trailing dot)';
    if (label.length > 63) return `label "${label}" is ${label.length} characters long, more than 63 (RFC 1123)`;
    if (!/^[a-zA-Z0-9-]+$/.test(label)) return `label "${label}" may hold only letters a-z, digits and "-" (RFC 1123)`;
    if (label.startsWith('-') || label.endsWith('-')) return `label "${label}" must not start or end with "-" (RFC 1123)`;
  }
  return undefined;
}

/** Why a hostname template (`macula-{nn}`) is unusable, checked on a sample expansion. */
function hostnameTemplateProblem(template: string): string | undefined {
  const unknown = template.match(/\{[^}]*\}/g)?.find((p) => !(HOSTNAME_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown) return `unknown placeholder ${unknown} (known: ${HOSTNAME_PLACEHOLDERS.join(', ')})`;
  return hostnameProblem(template.replaceAll('{nn}', '01').replaceAll('{n}', '1').replaceAll('{serial}', 'serial'));
}

const hostname = z.string().superRefine((v, ctx) => {
  const problem = hostnameProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const hostnameTemplate = z.string().superRefine((v, ctx) => {
  const problem = hostnameTemplateProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Key types OpenSSH accepts in authorized_keys (ssh-dss is refused: OpenSSH disabled DSA). */
export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes the first bytes of standard base64 (enough to read the key type at the head of an SSH key blob). */
function base64Prefix(text: string, bytes: number): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    if (ch === '=' || out.length >= bytes) break;
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return out;
}

/** Why a line is not an OpenSSH public key `TYPE BASE64 [comment]` (RFC 4253 §6.6 blob), or undefined. */
export function sshKeyProblem(line: string): string | undefined {
  if (/PRIVATE KEY/.test(line)) return 'is a PRIVATE key: give the public key (the .pub file) instead';
  if (/[\r\n]/.test(line)) return 'must be one key on one line';
  const [type = '', blob = ''] = line.trim().split(/\s+/);
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return `does not start with a known OpenSSH key type (${SSH_KEY_TYPES.join(', ')})`;
  }
  if (!/^[A-Za-z0-9+/]{16,}={0,2}$/.test(blob)) return 'has no base64 key after its type';
  // The blob begins with the key type again, as an SSH string: uint32 length, then the name.
  const head = base64Prefix(blob, 4 + type.length);
  const length = ((head[0] ?? 0) << 24) | ((head[1] ?? 0) << 16) | ((head[2] ?? 0) << 8) | (head[3] ?? 0);
  const name = String.fromCharCode(...head.slice(4));
  if (length !== type.length || name !== type) return `is damaged: its key data is not a ${type} key`;
  return undefined;
}

const sshKey = z.string().superRefine((v, ctx) => {
  const problem = sshKeyProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const command = z.string().min(1, 'must not be empty').refine((s) => !s.includes('\0'), 'must not contain NUL');

const writeFile = z
  .strictObject({
    path: z
      .string()
      .max(4096)
      .refine((p) => p.startsWith('/'), 'must be an absolute path')
      .refine((p) => !p.split('/').includes('..'), 'must not contain ".."')
      .refine((p) => !p.includes('\0') && !p.endsWith('/'), 'must name a file'),
    content: z.string(),
    permissions: z.string().regex(/^0?[0-7]{3}$|^[0-7]{4}$/, 'must be an octal mode in quotes, like "0644"').optional(),
    owner: z
      .string()
      .regex(/^(?:[a-z_][a-z0-9_-]{0,31}|\d+)(?::(?:[a-z_][a-z0-9_-]{0,31}|\d+))?$/, 'must be USER or USER:GROUP')
      .optional(),
  })
  .superRefine((f, ctx) => {
    const size = utf8Length(f.content);
    if (size > MAX_FILE_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: `oversize file ${f.path}: ${size} bytes, more than ${MAX_FILE_BYTES} (1 MiB)` });
    }
  });

const writeFiles = z.array(writeFile).superRefine((files, ctx) => {
  let total = 0;
  for (const [i, f] of files.entries()) {
    total += utf8Length(f.content);
    if (total > MAX_FILES_TOTAL_BYTES) {
      const message = `oversize file ${f.path}: it brings write_files to ${total} bytes, more than ${MAX_FILES_TOTAL_BYTES} (4 MiB) in all`;
      ctx.addIssue({ code: 'custom', path: [i, 'content'], message });
      return;
    }
  }
});

/** IANA time zone names this runtime knows, plus the UTC spellings ICU leaves out of its list. */
let knownZones: ReadonlySet<string> | undefined;
function timeZones(): ReadonlySet<string> {
  knownZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
  return knownZones;
}

/**
 * Why `tz` is not an IANA time zone name (the node links /usr/share/zoneinfo/$TZ, so case matters), or undefined.
 * ICU lists one name per zone and may list the older one (Europe/Kiev for Europe/Kyiv): a name ICU resolves to a
 * listed zone is accepted too.
 */
export function timeZoneProblem(tz: string): string | undefined {
  const zones = timeZones();
  if (zones.has(tz)) return undefined;
  let resolved: string | undefined;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    resolved = undefined;
  }
  if (resolved !== undefined && /^[A-Z][A-Za-z0-9_+-]*(?:\/[A-Z0-9][A-Za-z0-9_+-]*)*$/.test(tz) && zones.has(resolved)) return undefined;
  const sameIgnoringCase = [...zones].find((z) => z.toLowerCase() === tz.toLowerCase());
  return `unknown time zone "${tz}"${sameIgnoringCase ? `: did you mean "${sameIgnoringCase}"?` : ' (IANA names such as Europe/Berlin or UTC)'}`;
}

const timezone = z.string().superRefine((v, ctx) => {
  const problem = timeZoneProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const secret = (what: string, max = 4096): z.ZodString =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, `${what} must be printable ASCII without spaces`);

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHORT_ID = /^[a-z0-9](?:[a-z0-9-]{2,30}[a-z0-9])$/;

/** Bytes a base64url string (RFC 4648 §5, padding optional) decodes to, or undefined if it is not base64url. */
export function base64urlByteLength(s: string): number | undefined {
  const m = /^([A-Za-z0-9_-]*)(={0,2})$/.exec(s);
  const body = m?.[1];
  if (body === undefined || body.length % 4 === 1) return undefined;
  return Math.floor((body.length * 3) / 4);
}

const LABEL_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Kubernetes label key: `[prefix/]name`, prefix a DNS subdomain (≤ 253), name ≤ 63 (k8s "Labels and Selectors"). */
const labelKey = z.string().superRefine((k, ctx) => {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = k.slice(slash + 1);
  if (prefix !== undefined && (prefix === '' || hostnameProblem(prefix))) {
    ctx.addIssue({ code: 'custom', message: `label key "${k}": its prefix must be a lower-case DNS name such as macula.io` });
  } else if (!LABEL_NAME.test(name)) {
    ctx.addIssue({ code: 'custom', message: `label key "${k}": the name must be 1–63 of A-Z a-z 0-9 - _ . and start and end alphanumeric` });
  }
});
const labelValue = z.string().regex(/^$|^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be empty or 1–63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric');

const maculaosSchema = z
  .strictObject({
    /** loadkeys/setxkbmap layout, optionally with its X11 variant: `de`, `de(nodeadkeys)`. */
    keyboard: z.string().regex(/^[a-z][a-z0-9_]{1,15}(?:\([A-Za-z0-9_-]{1,32}\))?$/, 'must be an X11 layout such as us, de, fr, optionally with a variant: de(nodeadkeys)').optional(),
    timezone: timezone.optional(),
    /** glibc-style locale name: `en_US.UTF-8`, `C.UTF-8`. */
    locale: z
      .string()
      .regex(/^(?:C|POSIX|[a-z]{2,3}(?:_[A-Z]{2})?)(?:\.(?:UTF-8|utf8))?(?:@[a-z]+)?$/, 'must be a locale such as en_US.UTF-8')
      .optional(),
    mesh: z.strictObject({ bootstrap: z.boolean().default(false), relay: z.boolean().default(false) }).optional(),
    live: z.strictObject({ persistence: z.boolean().default(true) }).prefault({}),
    portal: z.strictObject({ url: httpsUrl, enrollment_token: secret('the enrollment token').optional() }).optional(),
    pairing: z
      .strictObject({
        node_id: z.string().refine((s) => UUID.test(s) || SHORT_ID.test(s), 'must be a lower-case UUID or a short id (4–32 of a-z 0-9 -)').optional(),
        key: z
          .string()
          .refine((s) => (base64urlByteLength(s) ?? 0) >= 32, 'must be base64url (RFC 4648 §5) of at least 32 random bytes')
          .optional(),
      })
      .optional(),
    wifi: z
      .array(
        z.strictObject({
          ssid: z.string().refine((s) => utf8Length(s) >= 1 && utf8Length(s) <= 32, 'must be 1–32 bytes (IEEE 802.11)'),
          // WPA2 passphrase: 8–63 printable ASCII characters (IEEE 802.11i, annex H.4).
          psk: z.string().regex(/^[\x20-\x7e]{8,63}$/, 'must be 8–63 printable ASCII characters (WPA passphrase)'),
        }),
      )
      .optional(),
    ntp_servers: z.array(z.string().refine((s) => isIp(s) || !hostnameProblem(s, { lowerCaseOnly: false }), 'must be an IP address or a host name')).optional(),
    // resolv.conf names resolvers by address only.
    dns_nameservers: z.array(z.string().refine(isIp, 'must be an IP address (a resolver cannot be named by host name)')).optional(),
    /** k3s agent: the server to join (k3OS `k3os.server_url`). */
    server_url: httpsUrl.optional(),
    /** k3s cluster token (k3OS `k3os.token`). */
    token: secret('the k3s token').optional(),
    labels: z.record(labelKey, labelValue).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.server_url !== undefined && m.token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'is required when server_url is set (a k3s agent joins with the cluster token)' });
    }
  });

function makeSeedSchema(host: z.ZodType<string>) {
  return z.strictObject({
    hostname: host.optional(),
    ssh_authorized_keys: z.array(sshKey).optional(),
    write_files: writeFiles.optional(),
    boot_cmd: z.array(command).optional(),
    run_cmd: z.array(command).optional(),
    maculaos: maculaosSchema.prefault({}),
  });
}

/** A concrete seed, as written to one target. */
export const seedSchema = makeSeedSchema(hostname);
/** A seed whose hostname may be a batch template (`macula-{nn}`), as given to a multi-target flash. */
export const seedTemplateSchema = makeSeedSchema(hostnameTemplate);

export type Seed = z.output<typeof seedSchema>;
export type SeedInput = z.input<typeof seedSchema>;
export type MaculaosConfig = Seed['maculaos'];
export type SeedFile = NonNullable<Seed['write_files']>[number];
export type MeshRoles = NonNullable<MaculaosConfig['mesh']>;
export type Pairing = NonNullable<MaculaosConfig['pairing']>;

/** The mesh roles a node can take (plan §4.2): a public entry point, a relay for peers behind NAT. */
export const MESH_ROLES = ['bootstrap', 'relay'] as const;
export type MeshRole = (typeof MESH_ROLES)[number];

/** Fields that hold secrets (plan §9.3): masked whenever a seed is shown, never logged. `[]` means every element. */
export const SECRET_PATHS = [
  'maculaos.portal.enrollment_token',
  'maculaos.pairing.key',
  'maculaos.wifi[].psk',
  'maculaos.token',
] as const;

/** How a secret is shown: `•••• (43 chars)`. */
export function maskSecret(value: string): string {
  return `•••• (${value.length} chars)`;
}

/** Applies `fn` to the string at a SECRET_PATHS path, in a copy of `value`. */
function mapAtPath(value: unknown, segments: readonly string[], fn: (s: string) => string): unknown {
  const [head, ...rest] = segments;
  if (head === undefined) return typeof value === 'string' ? fn(value) : value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const array = head.endsWith('[]');
  const key = array ? head.slice(0, -2) : head;
  if (!(key in record)) return value;
  const child = record[key];
  const mapped = array && Array.isArray(child) ? child.map((el) => mapAtPath(el, rest, fn)) : array ? child : mapAtPath(child, rest, fn);
  return { ...record, [key]: mapped };
}

/** A copy of the seed with every secret replaced by `•••• (N chars)`, safe to print or log. */
export function maskSecrets(seed: Seed): Seed {
  let masked: unknown = seed;
  for (const path of SECRET_PATHS) masked = mapAtPath(masked, path.split('.'), maskSecret);
  return masked as Seed;
}

/** Things a valid seed may still get wrong, as sentences for the user. */
export function seedWarnings(seed: Seed): string[] {
  const warnings: string[] = [];
  const m = seed.maculaos;
  if (m.mesh?.bootstrap) {
    warnings.push('a bootstrap node wants a public address: other nodes must reach it directly (public IP or port forwarding)');
  }
  if (!m.live.persistence) {
    warnings.push('live.persistence is false: the node forgets its changes at every boot');
  }
  if (m.portal !== undefined && m.portal.enrollment_token === undefined) {
    warnings.push('portal.url without an enrollment_token: the node will have to be enrolled by hand');
  }
  return warnings;
}

/** Path of a schema problem, as `maculaos.wifi[0].psk` (odd keys such as label keys quoted: `labels["a.io/b"]`). */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    const k = String(key);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return `${acc}[${JSON.stringify(k)}]`;
    return acc ? `${acc}.${k}` : k;
  }, '');
}

/** The keys a strict object at `path` of the seed schema takes, to say what an unknown key should have been. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  type Def = { type: string; innerType?: unknown; element?: unknown; shape?: Record<string, unknown>; in?: unknown };
  const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;
  const unwrap = (s: unknown): unknown => {
    let cur = s;
    for (let d = defOf(cur); d.innerType !== undefined || d.in !== undefined; d = defOf(cur)) cur = d.innerType ?? d.in;
    return cur;
  };
  let cur: unknown = seedSchema;
  for (const seg of path) {
    const def = defOf(unwrap(cur));
    cur = typeof seg === 'number' ? def.element : def.shape?.[String(seg)];
    if (cur === undefined) return [];
  }
  return Object.keys(defOf(unwrap(cur)).shape ?? {});
}

function describeIssue(issue: z.core.$ZodIssue): { field: string; message: string } {
  if (issue.code === 'unrecognized_keys') {
    const field = issuePath([...issue.path, issue.keys[0] ?? '']);
    const known = knownKeysAt(issue.path);
    const where = issuePath(issue.path) || 'the top level';
    return { field, message: `${field}: unknown key${known.length ? `; ${where} takes ${known.join(', ')}` : ''}` };
  }
  const field = issuePath(issue.path) || '(root)';
  let message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  if (issue.code === 'invalid_type' && issue.expected === 'string' && /received (boolean|number|Date|null)/.test(message)) {
    message += ' (quote it: YAML reads yes/no/on/off, numbers and dates as other types)';
  }
  return { field, message: `${field}: ${message}` };
}

/**
 * Validates a seed from YAML, flags or code. Refused with ERR_SEED_INVALID naming the first bad field; the message never
 * echoes a secret's value. `templates` admits a batch hostname template (`macula-{nn}`).
 */
export function validateSeed(value: unknown, source: string, { templates = false } = {}): Seed {
  const result = (templates ? seedTemplateSchema : seedSchema).safeParse(value);
  if (result.success) return result.data;
  const described = result.error.issues.slice(0, 5).map(describeIssue);
  const field = described[0]?.field ?? '(root)';
  throw new MaculaError('ERR_SEED_INVALID', `seed ${source} refused: ${described.map((d) => d.message).join('; ')}`, { field, path: source });
}
