/**
 * Secrets never reach a log line (ARCHITECTURE.md: "never in logs"): the enrollment token, the pairing key, Wi-Fi
 * passphrases and anything else in a field whose name says it is a token, key, password, passphrase or secret.
 */
export const REDACTED = '[redacted]';

// Matched against the words of a field name (camelCase, snake_case, kebab-case, dotted), so `pairingKey`,
// `enrollment_token` and `x-macula-token` are secret while `keyboard` and `monkey` are not.
const SECRET_WORDS = new Set(['token', 'tokens', 'key', 'keys', 'password', 'passwd', 'passphrase', 'secret', 'psk', 'authorization', 'cookie']);

/** The lower-cased words of a field name: `enrollmentToken` → enrollment, token. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

/** Whether a field of this name holds a secret. */
export function isSecretField(name: string): boolean {
  return words(name).some((w) => SECRET_WORDS.has(w));
}

// `name=value` / `name: value` pairs in free text (query strings, URL fragments such as `#token=…`, YAML, headers).
const PAIR = /([A-Za-z0-9_.-]+)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&#;,"']+)/g;

/** Free text with the values of secret-named pairs and bearer credentials replaced. */
export function redactText(text: string): string {
  return text
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`)
    .replace(PAIR, (all, name: string, sep: string) => (isSecretField(name) ? `${name}${sep}${REDACTED}` : all));
}

/**
 * A deep copy of `value` fit for a log: secret-named fields replaced whatever their type, strings scrubbed with
 * redactText, errors reduced to name, code and message. Cycles are cut, never followed.
 */
export function redact(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: redactText(value.message), ...(typeof code === 'string' ? { code } : {}) };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretField(k) ? REDACTED : redact(v, seen);
  return out;
}
