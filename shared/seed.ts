import { z } from 'zod';
import { MaculaError } from './errors';
import {
  SHORT_ID,
  UUID,
  base64urlByteLength,
  command,
  hostname,
  hostnameTemplate,
  httpsUrl,
  isIp,
  labelKey,
  labelValue,
  secret,
  sshKey,
  timezone,
  utf8Length,
  writeFiles,
  hostnameProblem,
} from './seed-fields';
import { describeIssue } from './seed-issues';
import { normalizeK3os } from './seed-k3os';
import { dataSources, environment, k3sArgs, live, modules, password, sysctls, taints } from './seed-k3os-fields';

/**
 * The seed: what a freshly flashed node knows at first boot, written to `macula/system/config.yaml` on its
 * `MACULAOS_STATE` partition. Shaped like k3OS's cloud-config (top-level `hostname`, `ssh_authorized_keys`,
 * `write_files`, `run_cmd`, `boot_cmd`), with k3OS's `k3os:` block renamed `maculaos:` (plan §4.1–4.4): keyboard,
 * timezone, locale, mesh roles, live persistence, plus the Portal enrollment and the per-node pairing key.
 * k3s `server_url`/`token` sit directly under `maculaos:`, where k3OS keeps them under `k3os:`. A k3OS config is read
 * too: `k3os:` as the spelling of `maculaos:`, k3OS's keys with its types, and its key spellings (seed-k3os.ts).
 */

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
    live: live.prefault({}),
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
    // k3OS's keys (rancher/k3os pkg/config, type K3OS), applied on the node by image-build/seed-apply/.
    modules: modules.optional(),
    sysctls: sysctls.optional(),
    environment: environment.optional(),
    k3s_args: k3sArgs.optional(),
    taints: taints.optional(),
    password: password.optional(),
    data_sources: dataSources.optional(),
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
    /** k3OS's init_cmd: run first of all, before the seed's other settings are applied. */
    init_cmd: z.array(command).optional(),
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
  if (m.data_sources?.includes('cdrom')) {
    warnings.push('data_sources: cdrom is accepted for k3OS configs, but no CD-ROM is read: the seed on MACULAOS_STATE is the config');
  }
  if (m.portal !== undefined && m.portal.enrollment_token === undefined) {
    warnings.push('portal.url without an enrollment_token: the node will have to be enrolled by hand');
  }
  return warnings;
}


/**
 * Validates a seed from YAML, flags or code. Refused with ERR_SEED_INVALID naming the first bad field; the message never
 * echoes a secret's value. `templates` admits a batch hostname template (`macula-{nn}`).
 */
export function validateSeed(value: unknown, source: string, { templates = false } = {}): Seed {
  const k3os = normalizeK3os(value, Object.keys(maculaosSchema.shape));
  if (k3os.problems.length > 0) {
    const problems = k3os.problems.slice(0, 5);
    const field = problems[0]?.field ?? '(root)';
    throw new MaculaError('ERR_SEED_INVALID', `seed ${source} refused: ${problems.map((p) => p.message).join('; ')}`, { field, path: source });
  }
  const result = (templates ? seedTemplateSchema : seedSchema).safeParse(k3os.value);
  if (result.success) return result.data;
  // A key written under k3os: is named there, not under the maculaos: it joined.
  const shown = (path: readonly PropertyKey[]): readonly PropertyKey[] =>
    path[0] === 'maculaos' && k3os.sectionOf.get(`maculaos.${String(path[1])}`) === 'k3os' ? ['k3os', ...path.slice(1)] : path;
  const described = result.error.issues.slice(0, 5).map((issue) => describeIssue(issue, seedSchema, shown));
  const field = described[0]?.field ?? '(root)';
  throw new MaculaError('ERR_SEED_INVALID', `seed ${source} refused: ${described.map((d) => d.message).join('; ')}`, { field, path: source });
}
