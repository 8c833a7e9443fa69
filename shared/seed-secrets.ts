import type { Seed } from './seed';

/** Fields that hold secrets (plan §9.3): masked whenever a seed is shown, never logged. `[]` means every element. */
export const SECRET_PATHS = [
  'maculaos.portal.enrollment_token',
  'maculaos.pairing.key',
  'maculaos.wifi[].psk',
  'maculaos.token',
  'maculaos.password',
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
