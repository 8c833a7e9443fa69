import { z } from 'zod';

/**
 * The seed's field checks: pure functions that say why a value is unusable (for the CLI, the form and the schema),
 * and the zod schemas of single fields built on them. shared/seed.ts assembles them into the seed schema.
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
export const isIp = (s: string): boolean => IPV4.test(s) || z.ipv6().safeParse(s).success;

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

export const hostname = z.string().superRefine((v, ctx) => {
  const problem = hostnameProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
export const hostnameTemplate = z.string().superRefine((v, ctx) => {
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

export const sshKey = z.string().superRefine((v, ctx) => {
  const problem = sshKeyProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const command = z.string().min(1, 'must not be empty').refine((s) => !s.includes('\0'), 'must not contain NUL');

/** `write_files[].encoding` values k3OS decodes, but its raw `gz`/`gzip` (binary, which YAML text cannot hold). */
export const WRITE_FILE_ENCODINGS = ['', 'b64', 'base64', 'gz+b64', 'gz+base64', 'gzip+b64', 'gzip+base64'] as const;
export type WriteFileEncoding = (typeof WRITE_FILE_ENCODINGS)[number];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const writeFile = z
  .strictObject({
    path: z
      .string()
      .max(4096)
      .refine((p) => p.startsWith('/'), 'must be an absolute path')
      .refine((p) => !p.split('/').includes('..'), 'must not contain ".."')
      .refine((p) => !p.includes('\0') && !p.endsWith('/'), 'must name a file'),
    content: z.string(),
    /** k3OS's encodings of `content` (rancher/k3os pkg/util DecodeContent); the node decodes it (seed-apply/files.ts). */
    encoding: z
      .enum(WRITE_FILE_ENCODINGS, { error: `must be one of ${WRITE_FILE_ENCODINGS.join(', ')} (raw gz cannot be written in YAML text: use gz+b64)` })
      .optional(),
    permissions: z.string().regex(/^0?[0-7]{3}$|^[0-7]{4}$/, 'must be an octal mode in quotes, like "0644"').optional(),
    owner: z
      .string()
      .regex(/^(?:[a-z_][a-z0-9_-]{0,31}|\d+)(?::(?:[a-z_][a-z0-9_-]{0,31}|\d+))?$/, 'must be USER or USER:GROUP')
      .optional(),
  })
  .superRefine((f, ctx) => {
    if (f.encoding !== undefined && f.encoding !== '' && !BASE64.test(f.content.replace(/\s+/g, ''))) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: `is not base64 (RFC 4648 §4), which encoding ${f.encoding} says it is` });
    }
    const size = utf8Length(f.content);
    if (size > MAX_FILE_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: `oversize file ${f.path}: ${size} bytes, more than ${MAX_FILE_BYTES} (1 MiB)` });
    }
  });

export const writeFiles = z.array(writeFile).superRefine((files, ctx) => {
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

export const timezone = z.string().superRefine((v, ctx) => {
  const problem = timeZoneProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const secret = (what: string, max = 4096): z.ZodString =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, `${what} must be printable ASCII without spaces`);

export const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const SHORT_ID = /^[a-z0-9](?:[a-z0-9-]{2,30}[a-z0-9])$/;

/** Bytes a base64url string (RFC 4648 §5, padding optional) decodes to, or undefined if it is not base64url. */
export function base64urlByteLength(s: string): number | undefined {
  const m = /^([A-Za-z0-9_-]*)(={0,2})$/.exec(s);
  const body = m?.[1];
  if (body === undefined || body.length % 4 === 1) return undefined;
  return Math.floor((body.length * 3) / 4);
}

const LABEL_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Kubernetes label key: `[prefix/]name`, prefix a DNS subdomain (≤ 253), name ≤ 63 (k8s "Labels and Selectors"). */
export const labelKey = z.string().superRefine((k, ctx) => {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = k.slice(slash + 1);
  if (prefix !== undefined && (prefix === '' || hostnameProblem(prefix))) {
    ctx.addIssue({ code: 'custom', message: `label key "${k}": its prefix must be a lower-case DNS name such as macula.io` });
  } else if (!LABEL_NAME.test(name)) {
    ctx.addIssue({ code: 'custom', message: `label key "${k}": the name must be 1–63 of A-Z a-z 0-9 - _ . and start and end alphanumeric` });
  }
});
export const labelValue = z.string().regex(/^$|^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be empty or 1–63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric');
