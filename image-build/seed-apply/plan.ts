import { nodeName } from '../../shared/fleet/node-name';
import type { Seed } from '../../shared/seed';
import type { Change } from './changes';
import { planCommands } from './commands';
import { planK3s } from './k3s';
import { planTimeAndDns } from './time-dns';
import { planWifi } from './wifi';

export type { Change, FileChange, LinkChange, RemoveChange } from './changes';

/**
 * What applying a seed changes on the node, as data: files to write, links to make and files to remove under the
 * root. Kept free of I/O so it is tested without a node (plan.test.ts); apply.ts carries it out.
 * Covers plan §4.1 (keyboard, timezone, locale), §4.2 (mesh roles), the hostname, SSH keys, `write_files`, `boot_cmd`
 * and `run_cmd` of k3OS's cloud-config, and the `maculaos:` network and k3s settings (Wi-Fi, NTP, DNS, k3s join).
 */

/** The login user (k3OS's `rancher`, renamed in plan phase 1); created in the image by image-build/steps/root.sh. */
export const LOGIN_USER = 'macula';

export interface SeedPlan {
  readonly hostname: string | undefined;
  readonly changes: readonly Change[];
  /** Public summary for the console line; never a secret. */
  readonly summary: Readonly<Record<string, string>>;
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
  const changes: Change[] = [];
  const summary: Record<string, string> = {};
  const m = seed.maculaos;

  // Without a seeded hostname the node goes by `macula-<first 8 of its node id>` (plan §8.1), the name its agent
  // advertises and its certificate carries: Avahi publishes the kernel's host name, so `macula-xxxxxxxx.local`
  // resolves on the LAN. A seed with no node id either leaves the image's name.
  const nodeId = m.pairing?.node_id;
  const hostname = seed.hostname ?? (nodeId === undefined ? undefined : nodeName(undefined, nodeId));
  if (hostname !== undefined) {
    changes.push({ kind: 'file', path: '/etc/hostname', content: `${hostname}\n`, mode: 0o644 });
    changes.push({ kind: 'file', path: '/etc/hosts', content: hostsFile(hostname), mode: 0o644 });
    summary.hostname = hostname;
  }
  if (m.timezone !== undefined) {
    changes.push({ kind: 'link', path: '/etc/localtime', target: `/usr/share/zoneinfo/${m.timezone}` });
    changes.push({ kind: 'file', path: '/etc/timezone', content: `${m.timezone}\n`, mode: 0o644 });
    summary.timezone = m.timezone;
  }
  if (m.keyboard !== undefined) {
    // Read by keyboard-setup.service (console) which runs after the seed service.
    const { layout, variant } = splitKeyboard(m.keyboard);
    const content = `XKBMODEL="pc105"\nXKBLAYOUT="${layout}"\nXKBVARIANT="${variant}"\nXKBOPTIONS=""\nBACKSPACE="guess"\n`;
    changes.push({ kind: 'file', path: '/etc/default/keyboard', content, mode: 0o644 });
    summary.keyboard = m.keyboard;
  }
  if (m.locale !== undefined) {
    // Debian reads /etc/default/locale (pam_env), systemd /etc/locale.conf.
    changes.push({ kind: 'file', path: '/etc/default/locale', content: `LANG=${m.locale}\n`, mode: 0o644 });
    changes.push({ kind: 'file', path: '/etc/locale.conf', content: `LANG=${m.locale}\n`, mode: 0o644 });
    summary.locale = m.locale;
  }
  const keys = seed.ssh_authorized_keys ?? [];
  if (keys.length > 0) {
    const home = `/home/${LOGIN_USER}`;
    changes.push({ kind: 'file', path: `${home}/.ssh/authorized_keys`, content: `${keys.join('\n')}\n`, mode: 0o600, owner: `${LOGIN_USER}:${LOGIN_USER}` });
    // SSH is not among plan §9.4's ports: it opens only on a node that was given keys to log in with.
    changes.push({ kind: 'file', path: `${runDir}/firewall.d/ssh.nft`, content: 'add element inet maculaos tcp_open { 22 }\n', mode: 0o644 });
    summary.ssh_keys = String(keys.length);
  }
  // Always written, so the agent can tell "no roles" from "not applied yet".
  const mesh = { bootstrap: m.mesh?.bootstrap ?? false, relay: m.mesh?.relay ?? false };
  changes.push({ kind: 'file', path: `${runDir}/mesh-roles`, content: `${JSON.stringify(mesh)}\n`, mode: 0o644 });
  summary.mesh = Object.entries(mesh).filter(([, on]) => on).map(([role]) => role).join('+') || 'none';

  for (const part of [planWifi(m), planTimeAndDns(m), planK3s(m, runDir), planCommands(seed, runDir)]) {
    changes.push(...part.changes);
    Object.assign(summary, part.summary);
  }

  // Last, as in k3OS: a seed's own file wins over what the fields above wrote.
  for (const f of seed.write_files ?? []) {
    const mode = f.permissions === undefined ? 0o644 : parseInt(f.permissions, 8);
    changes.push({ kind: 'file', path: f.path, content: f.content, mode, ...(f.owner ? { owner: f.owner } : {}) });
  }
  return { hostname, changes, summary };
}
