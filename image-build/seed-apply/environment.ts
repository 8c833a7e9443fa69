import type { MaculaosConfig } from '../../shared/seed';
import type { PlanPart } from './changes';

/**
 * `maculaos.environment` (k3OS's `environment`, where its users put their proxy) → /etc/environment, which pam_env
 * reads for every login and k3s.service reads as its EnvironmentFile, as k3OS does. Written at every boot, empty
 * of settings when the seed has none: the seed is the source of truth for it.
 */

export const ENVIRONMENT = '/etc/environment';

/**
 * One `KEY="value"` line. systemd.exec(5) EnvironmentFile reads `\"` and `\\` inside double quotes; names are POSIX
 * names and values one line (shared/seed-k3os-fields.ts), so a value cannot start a line of its own.
 */
export function environmentLine(key: string, value: string): string {
  return `${key}="${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The environment part of the plan. */
export function planEnvironment(m: MaculaosConfig): PlanPart {
  const entries = Object.entries(m.environment ?? {});
  const lines = [
    '# Written by maculaos-seed from config.yaml (maculaos.environment) at every boot. Do not edit: it is rewritten.',
    ...entries.map(([k, v]) => environmentLine(k, v)),
  ];
  return {
    changes: [{ kind: 'file', path: ENVIRONMENT, content: `${lines.join('\n')}\n`, mode: 0o644 }],
    // Names only: a proxy URL may carry a password.
    summary: entries.length > 0 ? { environment: entries.map(([k]) => k).join(',') } : {},
  };
}
