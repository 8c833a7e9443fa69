import type { Seed } from '../../shared/seed';
import type { SeedReportKey } from '../../shared/fleet/seed-report';
import type { Change, PlanPart } from './changes';
import { planCommands, planInitCmd } from './commands';
import { planEnvironment } from './environment';
import { planWriteFiles } from './files';
import { planKernel } from './kernel';
import { planK3s } from './k3s';
import { planTimeAndDns } from './time-dns';
import { planWifi } from './wifi';

export type { Change, FileChange, LinkChange, PasswordChange, RemoveChange, RunChange } from './changes';

/**
 * What applying a seed changes on the node, as data: files to write, links to make and files to remove under the
 * root. Kept free of I/O so it is tested without a node (plan.test.ts); apply.ts carries it out.
 * Covers plan §4.1 (keyboard, timezone, locale), §4.2 (mesh roles), the hostname, SSH keys, `write_files`, `boot_cmd`
 * and `run_cmd` of k3OS's cloud-config, and the `maculaos:` network and k3s settings (Wi-Fi, NTP, DNS, k3s join), and
 * k3OS's own keys: `init_cmd` (run first), modules, sysctls, environment, k3s args and taints, the login password.
 */

/** The login user (k3OS's `rancher`, renamed in plan phase 1); created in the image by image-build/steps/root.sh. */
export const LOGIN_USER = 'macula';

/** The changes of one setting of the seed, as the seed report names it (shared/fleet/seed-report.ts). */
export interface KeyedPart {
  readonly key: SeedReportKey;
  /** Whether the seed asks for this setting (else its changes only undo an earlier seed's, and it is not applicable). */
  readonly asked: boolean;
  readonly changes: readonly Change[];
}

export interface SeedPlan {
  readonly hostname: string | undefined;
  /** Every change, in order: the parts' changes one after the other. */
  readonly changes: readonly Change[];
  /** The same changes by setting, each applied (and reported) on its own. */
  readonly parts: readonly KeyedPart[];
  /** Public summary for the console line; never a secret. */
  readonly summary: Readonly<Record<string, string>>;
  /** What was left out and why (a write_files entry that does not decode); never a secret. */
  readonly notes: readonly string[];
}

/** `de(nodeadkeys)` → layout `de`, variant `nodeadkeys` (keyboard-configuration's XKBLAYOUT/XKBVARIANT). */
export function splitKeyboard(keyboard: string): { layout: string; variant: string } {
  const m = /^([a-z][a-z0-9_]*)(?:\(([^)]*)\))?$/.exec(keyboard);
  return { layout: m?.[1] ?? keyboard, variant: m?.[2] ?? '' };
}

/** The /etc/hosts a node with this hostname needs (Debian puts the own name on 127.0.1.1). */
export function hostsFile(hostname: string): string {
  return [
    '127.0.0.1\tlocalhost',
    `127.0.1.1\t${hostname}`,
    '::1\t\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\t\tip6-allnodes',
    'ff02::2\t\tip6-allrouters',
    '',
  ].join('\n');
}

/** Plans every change `seed` asks for. `runDir` is where run-time facts for other services go (/run/maculaos). */
export function planSeed(seed: Seed, runDir: string): SeedPlan {
  const parts: KeyedPart[] = [];
  const summary: Record<string, string> = {};
  const m = seed.maculaos;
  const part = (key: SeedReportKey, asked: boolean, changes: Change[]): void => void parts.push({ key, asked, changes });
  // Each sub-plan summarises only what the seed asked for: an empty summary means it only undoes an older seed.
  const keyedPart = (key: SeedReportKey, p: PlanPart): void => {
    part(key, Object.keys(p.summary).length > 0, [...p.changes]);
    Object.assign(summary, p.summary);
  };
  // First, as in k3OS: init_cmd runs before anything else of the seed is applied.
  keyedPart('init_cmd', planInitCmd(seed, runDir));

  const hostname = seed.hostname;
  part('hostname', hostname !== undefined, hostname === undefined ? [] : [
    { kind: 'file', path: '/etc/hostname', content: `${hostname}\n`, mode: 0o644 },
    { kind: 'file', path: '/etc/hosts', content: hostsFile(hostname), mode: 0o644 },
  ]);
  if (hostname !== undefined) summary.hostname = hostname;
  part('timezone', m.timezone !== undefined, m.timezone === undefined ? [] : [
    { kind: 'link', path: '/etc/localtime', target: `/usr/share/zoneinfo/${m.timezone}` },
    { kind: 'file', path: '/etc/timezone', content: `${m.timezone}\n`, mode: 0o644 },
  ]);
  if (m.timezone !== undefined) summary.timezone = m.timezone;
  if (m.keyboard !== undefined) {
    // Read by keyboard-setup.service (console) which runs after the seed service.
    const { layout, variant } = splitKeyboard(m.keyboard);
    const content = `XKBMODEL="pc105"\nXKBLAYOUT="${layout}"\nXKBVARIANT="${variant}"\nXKBOPTIONS=""\nBACKSPACE="guess"\n`;
    part('keyboard', true, [{ kind: 'file', path: '/etc/default/keyboard', content, mode: 0o644 }]);
    summary.keyboard = m.keyboard;
  } else part('keyboard', false, []);
  // Debian reads /etc/default/locale (pam_env), systemd /etc/locale.conf.
  part('locale', m.locale !== undefined, m.locale === undefined ? [] : [
    { kind: 'file', path: '/etc/default/locale', content: `LANG=${m.locale}\n`, mode: 0o644 },
    { kind: 'file', path: '/etc/locale.conf', content: `LANG=${m.locale}\n`, mode: 0o644 },
  ]);
  if (m.locale !== undefined) summary.locale = m.locale;
  const keys = seed.ssh_authorized_keys ?? [];
  if (keys.length > 0) {
    const home = `/home/${LOGIN_USER}`;
    part('ssh_authorized_keys', true, [
      { kind: 'file', path: `${home}/.ssh/authorized_keys`, content: `${keys.join('\n')}\n`, mode: 0o600, owner: `${LOGIN_USER}:${LOGIN_USER}` },
      // SSH is not among plan §9.4's ports: it opens only on a node that was given keys to log in with.
      { kind: 'file', path: `${runDir}/firewall.d/ssh.nft`, content: 'add element inet maculaos tcp_open { 22 }\n', mode: 0o644 },
    ]);
    summary.ssh_keys = String(keys.length);
  } else part('ssh_authorized_keys', false, []);
  // Always written, so the agent can tell "no roles" from "not applied yet".
  const mesh = { bootstrap: m.mesh?.bootstrap ?? false, relay: m.mesh?.relay ?? false };
  part('mesh', m.mesh !== undefined, [{ kind: 'file', path: `${runDir}/mesh-roles`, content: `${JSON.stringify(mesh)}\n`, mode: 0o644 }]);
  summary.mesh = Object.entries(mesh).filter(([, on]) => on).map(([role]) => role).join('+') || 'none';

  part('password', m.password !== undefined, m.password === undefined ? [] : [{ kind: 'password', user: LOGIN_USER, password: m.password, hashed: m.password.startsWith('$') }]);
  if (m.password !== undefined) summary.password = 'set';
  keyedPart('kernel', planKernel(m));
  keyedPart('environment', planEnvironment(m));
  keyedPart('wifi', planWifi(m));
  keyedPart('time_dns', planTimeAndDns(m));
  keyedPart('k3s', planK3s(m, runDir));
  keyedPart('commands', planCommands(seed, runDir));

  // Last, as in k3OS: a seed's own file wins over what the fields above wrote.
  const files = planWriteFiles(seed);
  part('write_files', (seed.write_files ?? []).length > 0, files.changes);
  return { hostname, changes: parts.flatMap((p) => p.changes), parts, summary, notes: files.notes };
}
