import { z } from 'zod';

/**
 * Schemas of the `maculaos:` keys that come from k3OS (rancher/k3os pkg/config/config.go, type K3OS) and of the live
 * persistence options (plan §4.3). k3OS's types are kept: lists of strings, maps of strings to strings. Values the
 * node writes into a config file line by line refuse line breaks and NUL, so a value cannot add a line of its own.
 */

const oneLine = (what: string) =>
  z
    .string()
    .max(4096)
    .refine((s) => !/[\r\n\0]/.test(s), `${what} must be one line without NUL`);

/**
 * `modules`: `NAME [PARAM=VALUE …]`, as k3OS's LoadModules splits it (the name, then parameters for modprobe).
 * Module names are file names without `.ko`: letters, digits, `_` and `-` (modprobe treats `-` as `_`).
 */
export const modules = z.array(
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}(?: +[^\s=]+(?:=[^\s]*)?)*$/, 'must be a module name, optionally followed by its parameters: "nf_conntrack hashsize=65536"'),
);

/** `sysctls`: `net.ipv4.ip_forward: "1"`; names as sysctl(8) takes them, dots or slashes. */
export const sysctls = z.record(
  z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]{0,255}$/, 'must be a sysctl name such as net.ipv4.ip_forward'),
  oneLine('a sysctl value'),
);

/** `environment`: for k3s and every login (k3OS writes /etc/environment): POSIX variable names. */
export const environment = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name (letters, digits, _; not starting with a digit)'),
  oneLine('an environment value'),
);

/** `k3s_args`: k3s's command line; a first word `server` or `agent` is the role, as in k3OS. */
export const k3sArgs = z.array(oneLine('a k3s argument').refine((s) => s !== '', 'must not be empty'));

/** `taints`: `KEY[=VALUE]:EFFECT` (Kubernetes "Taints and Tolerations"), registered by the kubelet. */
export const taints = z.array(
  z
    .string()
    .regex(
      /^(?:[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?(?:=[A-Za-z0-9_.-]{0,63})?:(?:NoSchedule|PreferNoSchedule|NoExecute)$/,
      'must be KEY[=VALUE]:EFFECT with EFFECT NoSchedule, PreferNoSchedule or NoExecute',
    ),
);

/**
 * `password` of the login user: plain text (hashed on the node) or, starting with `$`, a crypt(3) hash such as
 * `mkpasswd -m sha-512` prints, which the node keeps as it is (k3OS's SetPassword: `chpasswd`, `-e` for a hash).
 */
export const password = z
  .string()
  .min(1, 'must not be empty')
  .max(1024)
  .refine((s) => !/[\r\n\0]/.test(s), 'must be one line without NUL');

/**
 * `data_sources`: where k3OS looks for more cloud-config. MaculaOS's config is the seed on MACULAOS_STATE; it asks no
 * cloud metadata service (none is reachable, and one answering on the LAN would be a stranger configuring the node).
 */
export const dataSources = z.array(
  z.string().superRefine((s, ctx) => {
    if (s !== 'cdrom') {
      ctx.addIssue({
        code: 'custom',
        message: `"${s}" is a cloud metadata source, and MaculaOS reads none (its config is the seed on MACULAOS_STATE): only cdrom is accepted`,
      });
    }
  }),
);

/** `persistence_size`: a bound on the state partition's growth, `512M`, `4G`, `1T` (binary units; `4GiB` too). */
export const PERSISTENCE_SIZE = /^[1-9][0-9]{0,6}(?:M|G|T)(?:iB)?$/;

/**
 * `live`: plan §4.3. `persistence: false` keeps the node's changes in RAM (the state partition is read for the seed
 * only, read-only); `persistence_size` bounds the first boot's growth of the state partition; `persistence_device`
 * puts the overlay on another disk's partition: `auto` (the MACULAOS_STATE partition), `/dev/…`, `LABEL=…` or `UUID=…`.
 */
export const live = z.strictObject({
  persistence: z.boolean().default(true),
  persistence_size: z.string().regex(PERSISTENCE_SIZE, 'must be a size such as 512M, 4G or 1T').optional(),
  persistence_device: z
    .string()
    .regex(/^(?:auto|\/dev\/[A-Za-z0-9._/-]{1,200}|LABEL=[A-Za-z0-9._-]{1,64}|UUID=[0-9A-Fa-f-]{8,36})$/, 'must be auto, a /dev/ path, LABEL=… or UUID=…')
    .optional(),
});
