import { parseDocument, stringify } from 'yaml';
import { MaculaError } from './errors';
import { type Seed, validateSeed } from './seed';

/**
 * Seed files as YAML. Read and written as YAML 1.1, the dialect of the Go parser on the node (k3OS reads its
 * cloud-config with go-yaml v2): `no`, `on` and `0644` mean there what they mean here, and strings that 1.1 would read
 * as something else are written quoted.
 */
const YAML_VERSION = '1.1';

/** Header of a cloud-config file (cloud-init's marker, which k3OS accepts and ignores). */
export const CLOUD_CONFIG_HEADER = '#cloud-config';

/**
 * Parses and validates a seed file. Malformed YAML and schema refusals are ERR_SEED_INVALID; the message names the
 * line and column, or the field (`maculaos.timezone: unknown time zone "Mars/Olympus"`), and never quotes the source
 * text (it may hold a secret). `templates` admits a batch hostname template (`macula-{nn}`).
 */
export function parseSeedYaml(text: string, source: string, options: { templates?: boolean } = {}): Seed {
  const doc = parseDocument(text, { version: YAML_VERSION, uniqueKeys: true, prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'an unknown position';
    // The first line of the library's message, without its " at line L, column C:" tail and the quoted source.
    const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new MaculaError('ERR_SEED_INVALID', `seed ${source} is not valid YAML: ${where}: ${reason}`, {
      path: source,
      field: '(root)',
      ...(pos ? { offset: error.pos[0] } : {}),
    });
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) {
    throw new MaculaError('ERR_SEED_INVALID', `seed ${source} is empty`, { path: source, field: '(root)' });
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MaculaError('ERR_SEED_INVALID', `seed ${source} refused: (root): must be a mapping of keys (hostname:, maculaos: …)`, {
      path: source,
      field: '(root)',
    });
  }
  return validateSeed(value, source, options);
}

/** Key order of the written file: the order a reader expects, whatever order the seed was built in. */
const ORDER: Readonly<Record<string, readonly string[]>> = {
  '': ['hostname', 'ssh_authorized_keys', 'write_files', 'init_cmd', 'boot_cmd', 'run_cmd', 'maculaos'],
  'write_files[]': ['path', 'permissions', 'owner', 'encoding', 'content'],
  maculaos: [
    'timezone',
    'keyboard',
    'locale',
    'mesh',
    'live',
    'portal',
    'pairing',
    'server_url',
    'token',
    'labels',
    'taints',
    'k3s_args',
    'environment',
    'ntp_servers',
    'dns_nameservers',
    'wifi',
    'modules',
    'sysctls',
    'password',
    'data_sources',
  ],
  'maculaos.mesh': ['bootstrap', 'relay'],
  'maculaos.live': ['persistence', 'persistence_size', 'persistence_device'],
  'maculaos.portal': ['url', 'enrollment_token'],
  'maculaos.pairing': ['node_id', 'key'],
  'maculaos.wifi[]': ['ssid', 'psk'],
};

/** A copy with keys in ORDER (unlisted keys, such as label keys, sorted after) and undefined values dropped. */
function ordered(value: unknown, at: string): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, `${at}[]`));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const order = ORDER[at] ?? [];
  const keys = [...order.filter((k) => k in record), ...Object.keys(record).filter((k) => !order.includes(k)).sort()];
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (record[k] !== undefined) out[k] = ordered(record[k], at ? `${at}.${k}` : k);
  }
  return out;
}

/**
 * The seed as a cloud-config file: `#cloud-config` header, stable key order, no line folding (an SSH key stays on
 * one line). `parseSeedYaml(seedToYaml(s))` equals `s`. Does not validate: a masked seed can be written too.
 */
export function seedToYaml(seed: Seed): string {
  const body = stringify(ordered(seed, ''), { version: YAML_VERSION, lineWidth: 0, indentSeq: true });
  return `${CLOUD_CONFIG_HEADER}\n${body}`;
}
