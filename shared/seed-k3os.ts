/**
 * k3OS configs read as seeds. MaculaOS is a k3OS fork, and its users bring k3OS cloud-configs: this pass turns one
 * into the seed schema's own spelling before the schema sees it, the way k3OS's reader does (rancher/k3os
 * pkg/config: read.go's mappers, rename.go's FuzzyNames, coerce.go), and says what it cannot turn:
 * - `k3os:` is k3OS's spelling of `maculaos:`: its keys join `maculaos:`; a key given under both is refused by name.
 * - Key spellings: k3OS matches a field by its JSON name (`sshAuthorizedKeys`), that name lower-cased, in snake case
 *   (`ssh_authorized_keys`), and the same three forms of the name without a trailing `s` (`ssh_authorized_key`,
 *   `sysctl`, `label`). One key written in two of these forms is refused (k3OS would keep either one, unsaid).
 *   k3OS also strips a trailing `es` (`modul`, `writeFil`): those forms are no words anyone writes and stay refused.
 * - Types: a list of strings may be one string (`run_cmd: "echo hi"` is `["echo hi"]`), and a map of strings may
 *   hold numbers and booleans (`vm.swappiness: 10` is `"10"`), as k3OS's NewToSlice and NewToMap do.
 * - `wifi[]` takes k3OS's `name`/`passphrase` (and its `pass`/`password` aliases) for `ssid`/`psk`.
 * Everything else is left to the schema, which still refuses an unknown key by name.
 */

/** A problem found before the schema: the path as the user wrote it, and a sentence. */
export interface K3osProblem {
  readonly field: string;
  readonly message: string;
}

export interface K3osNormalized {
  /** The value in the seed schema's spelling. */
  readonly value: unknown;
  readonly problems: readonly K3osProblem[];
  /** Where a `maculaos.KEY` of the result came from, when the user wrote it under `k3os:` (`maculaos.sysctls` → `k3os`). */
  readonly sectionOf: ReadonlyMap<string, 'k3os'>;
}

/** k3OS's JSON field names (pkg/config/config.go) that the seed schema has, by level. */
const TOP_FIELDS = ['sshAuthorizedKeys', 'writeFiles', 'hostname', 'runCmd', 'bootCmd', 'initCmd'];
const SECTION_FIELDS = ['dataSources', 'modules', 'sysctls', 'ntpServers', 'dnsNameservers', 'wifi', 'password', 'serverUrl', 'token', 'labels', 'k3sArgs', 'environment', 'taints'];
const FILE_FIELDS = ['encoding', 'content', 'owner', 'path', 'permissions'];

/** k3OS's array[string] fields (NewToSlice) and map[string]string fields (NewToMap), in snake case. */
const TOP_LISTS = new Set(['ssh_authorized_keys', 'run_cmd', 'boot_cmd', 'init_cmd']);
const SECTION_LISTS = new Set(['data_sources', 'modules', 'ntp_servers', 'dns_nameservers', 'k3s_args', 'taints']);
const SECTION_MAPS = new Set(['sysctls', 'environment', 'labels']);

/** `sshAuthorizedKeys` → `ssh_authorized_keys` (the mapper's convert.ToYAMLKey). */
const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Every spelling k3OS reads for each field, mapped to the seed schema's name (snake case unless `rename` says). */
function aliases(fields: readonly string[], rename: Readonly<Record<string, string>> = {}): ReadonlyMap<string, string> {
  const table = new Map<string, string>();
  for (const field of fields) {
    const to = rename[field] ?? snake(field);
    const forms = field.endsWith('s') && field.length > 1 ? [field, field.slice(0, -1)] : [field];
    for (const form of forms) for (const name of [form, form.toLowerCase(), snake(form)]) table.set(name, to);
  }
  return table;
}

const TOP = aliases(TOP_FIELDS);
const SECTION = aliases(SECTION_FIELDS);
const FILE = aliases(FILE_FIELDS);
/** k3OS's Wifi{name, passphrase}; FuzzyNames adds `pass` and `password` for the passphrase. */
const WIFI = new Map([...aliases(['name', 'passphrase', 'ssid', 'psk'], { name: 'ssid', passphrase: 'psk' }), ['pass', 'psk'], ['password', 'psk']]);

type Record_ = Record<string, unknown>;
const isRecord = (v: unknown): v is Record_ => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's convert.ToString for the scalars YAML gives: numbers and booleans as written, null as empty. */
function scalarToString(v: unknown): unknown {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v === null ? '' : v;
}

class Normalizer {
  readonly problems: K3osProblem[] = [];
  readonly sectionOf = new Map<string, 'k3os'>();

  /** `obj`'s keys in the schema's spelling; `where` is the written path (`k3os`, `write_files[0]`). */
  rename(obj: Record_, table: ReadonlyMap<string, string>, where: string): Record_ {
    const out: Record_ = {};
    const written = new Map<string, string>();
    const at = (k: string): string => (where ? `${where}.${k}` : k);
    for (const [key, value] of Object.entries(obj)) {
      const to = table.get(key) ?? key;
      const first = written.get(to);
      if (first !== undefined) {
        this.problems.push({ field: at(to), message: `${at(first)} and ${at(key)}: one key given twice (both are k3OS spellings of ${to}); keep one` });
        continue;
      }
      written.set(to, key);
      out[to] = value;
    }
    return out;
  }

  /** One `maculaos:` or `k3os:` section: spellings, k3OS types, `wifi[]` names. */
  section(obj: Record_, where: string): Record_ {
    const out = this.rename(obj, SECTION, where);
    for (const [key, value] of Object.entries(out)) {
      if (SECTION_LISTS.has(key) && typeof value === 'string') out[key] = [value];
      if (SECTION_MAPS.has(key) && isRecord(value)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scalarToString(v)]));
    }
    if (Array.isArray(out.wifi)) out.wifi = out.wifi.map((n, i) => (isRecord(n) ? this.rename(n, WIFI, `${where}.wifi[${i}]`) : n));
    return out;
  }

  /** `k3os:` joined into `maculaos:`: a key under both is refused, a key `maculaos:` does not take is refused as k3OS's. */
  merge(maculaos: Record_, k3os: Record_, known: readonly string[]): Record_ {
    const out = { ...maculaos };
    for (const [key, value] of Object.entries(k3os)) {
      if (key in maculaos) {
        this.problems.push({
          field: `k3os.${key}`,
          message: `k3os.${key} and maculaos.${key}: one setting given under both sections (k3os: is k3OS's spelling of maculaos:); keep one`,
        });
      } else if (!known.includes(key)) {
        const why = key === 'install' ? ': MaculaOS is flashed, not installed by `k3os install`' : `; k3os takes ${known.join(', ')}`;
        this.problems.push({ field: `k3os.${key}`, message: `k3os.${key}: unknown key${why}` });
      } else {
        out[key] = value;
        this.sectionOf.set(`maculaos.${key}`, 'k3os');
      }
    }
    return out;
  }
}

/**
 * `value` (a parsed seed file) in the seed schema's spelling. `sectionKeys` are the keys `maculaos:` takes (from the
 * schema, its single source). Values of the wrong type are left for the schema to refuse.
 */
export function normalizeK3os(value: unknown, sectionKeys: readonly string[]): K3osNormalized {
  const n = new Normalizer();
  if (!isRecord(value)) return { value, problems: [], sectionOf: n.sectionOf };
  const top = n.rename(value, TOP, '');
  for (const key of TOP_LISTS) if (typeof top[key] === 'string') top[key] = [top[key]];
  if (Array.isArray(top.write_files)) {
    top.write_files = top.write_files.map((f, i) => (isRecord(f) ? n.rename(f, FILE, `write_files[${i}]`) : f));
  }
  const { k3os, ...rest } = top;
  if (isRecord(rest.maculaos)) rest.maculaos = n.section(rest.maculaos, 'maculaos');
  if (k3os !== undefined && k3os !== null) {
    if (!isRecord(k3os)) {
      n.problems.push({ field: 'k3os', message: 'k3os: must be a mapping of keys (the k3OS spelling of maculaos:)' });
    } else {
      const maculaos = rest.maculaos === undefined || rest.maculaos === null ? {} : rest.maculaos;
      // A maculaos: of the wrong type is the schema's to refuse; k3os: then has nothing to join.
      if (isRecord(maculaos)) rest.maculaos = n.merge(maculaos, n.section(k3os, 'k3os'), sectionKeys);
    }
  }
  return { value: rest, problems: n.problems, sectionOf: n.sectionOf };
}
