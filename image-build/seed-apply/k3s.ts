import type { MaculaosConfig } from '../../shared/seed';
import type { Change, PlanPart } from './changes';
import { shellQuote } from './commands';

/**
 * The seed's k3s settings → k3s's own config file (k3s reads `/etc/rancher/k3s/config.yaml`, keys named as its
 * command-line flags: `server`, `token`, `node-label`) and the role k3s.service starts it in. As in k3OS, a node with a
 * `server_url` joins that server as an agent; any other node runs a server. Mesh roles become node labels under
 * `macula.io/` (plan phase 1 renames k3OS's `k3os.io/*` labels), so workloads can be scheduled onto relays.
 * The file holds the cluster token: 0600, and the summary never shows it.
 * k3OS's `taints` become `node-taint` (what k3OS passes as the kubelet's register-with-taints), and its `k3s_args`
 * are k3s's command line: a first word `server` or `agent` sets the role, the rest go to k3s.service through
 * k3s-args.sh in the run directory (`set -- 'arg' …`, sourced by the unit's sh: arguments keep their spaces).
 */

export const K3S_CONFIG = '/etc/rancher/k3s/config.yaml';

/** The node labels k3s registers: the seed's, then one per mesh role the node takes. */
export function nodeLabels(m: MaculaosConfig): string[] {
  const labels = Object.entries(m.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  if (m.mesh?.bootstrap) labels.push('macula.io/mesh-bootstrap=true');
  if (m.mesh?.relay) labels.push('macula.io/mesh-relay=true');
  return labels;
}

/** k3s's config.yaml. Strings are JSON-quoted, which YAML reads as the same strings (YAML 1.2 §7.3.1). */
export function k3sConfig(m: MaculaosConfig, labels: readonly string[]): string {
  const lines = ['# Written by maculaos-seed from config.yaml (maculaos.server_url, token, labels, taints, mesh) at every boot.'];
  if (m.server_url !== undefined) lines.push(`server: ${JSON.stringify(m.server_url)}`);
  if (m.token !== undefined) lines.push(`token: ${JSON.stringify(m.token)}`);
  if (labels.length > 0) lines.push('node-label:', ...labels.map((l) => `  - ${JSON.stringify(l)}`));
  const taints = m.taints ?? [];
  if (taints.length > 0) lines.push('node-taint:', ...taints.map((t) => `  - ${JSON.stringify(t)}`));
  return `${lines.join('\n')}\n`;
}

/**
 * The k3s part of the plan. The role goes to the run directory at every boot (k3s.service reads it); the config is
 * written when the seed says anything k3s reads, and removed otherwise.
 */
export function planK3s(m: MaculaosConfig, runDir: string): PlanPart {
  const [first, ...rest] = m.k3s_args ?? [];
  const roleGiven = first === 'server' || first === 'agent';
  const role = roleGiven ? first : m.server_url !== undefined ? 'agent' : 'server';
  const args = roleGiven ? rest : (m.k3s_args ?? []);
  const labels = nodeLabels(m);
  const configured = m.server_url !== undefined || m.token !== undefined || labels.length > 0 || (m.taints ?? []).length > 0;
  const changes: Change[] = [
    { kind: 'file', path: `${runDir}/k3s.env`, content: `K3S_ROLE=${role}\n`, mode: 0o644 },
    configured ? { kind: 'file', path: K3S_CONFIG, content: k3sConfig(m, labels), mode: 0o600 } : { kind: 'remove', path: K3S_CONFIG },
  ];
  if (args.length > 0) {
    // 0600: an argument may carry a secret (--token, --datastore-endpoint with a password).
    changes.push({ kind: 'file', path: `${runDir}/k3s-args.sh`, content: `set -- ${args.map(shellQuote).join(' ')}\n`, mode: 0o600 });
  }
  const summary: Record<string, string> = {};
  if (configured) summary.k3s = role;
  if (labels.length > 0) summary.labels = String(labels.length);
  if ((m.taints ?? []).length > 0) summary.taints = String(m.taints?.length);
  if (args.length > 0) summary.k3s_args = String(args.length);
  return { changes, summary };
}
