import type { z } from 'zod';

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
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  type Def = { type: string; innerType?: unknown; element?: unknown; shape?: Record<string, unknown>; in?: unknown };
  const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;
  const unwrap = (s: unknown): unknown => {
    let cur = s;
    for (let d = defOf(cur); d.innerType !== undefined || d.in !== undefined; d = defOf(cur)) cur = d.innerType ?? d.in;
    return cur;
  };
  let cur: unknown = schema;
  for (const seg of path) {
    const def = defOf(unwrap(cur));
    cur = typeof seg === 'number' ? def.element : def.shape?.[String(seg)];
    if (cur === undefined) return [];
  }
  return Object.keys(defOf(unwrap(cur)).shape ?? {});
}

/** One schema problem as a field path and a sentence; `schema` (the seed's) says what an unknown key should have been. */
export function describeIssue(
  issue: z.core.$ZodIssue,
  schema: z.ZodType,
  shown: (path: readonly PropertyKey[]) => readonly PropertyKey[] = (p) => p,
): { field: string; message: string } {
  if (issue.code === 'unrecognized_keys') {
    const field = issuePath([...shown(issue.path), issue.keys[0] ?? '']);
    const known = knownKeysAt(schema, issue.path);
    const where = issuePath(shown(issue.path)) || 'the top level';
    return { field, message: `${field}: unknown key${known.length ? `; ${where} takes ${known.join(', ')}` : ''}` };
  }
  const field = issuePath(shown(issue.path)) || '(root)';
  let message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  if (issue.code === 'invalid_type' && issue.expected === 'string' && /received (boolean|number|Date|null)/.test(message)) {
    message += ' (quote it: YAML reads yes/no/on/off, numbers and dates as other types)';
  }
  return { field, message: `${field}: ${message}` };
}
