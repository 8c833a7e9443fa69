import type { MaculaosConfig } from '../../shared/seed';
import type { Change, PlanPart } from './changes';

/**
 * `maculaos.modules` and `maculaos.sysctls` (k3OS's `modules`, `sysctls`) as the files systemd reads at every boot:
 * modules-load.d(5) for the module names, modprobe.d(5) `options` lines for their parameters (a modules-load.d line
 * takes a name only), sysctl.d(5) for the settings. maculaos-seed.service runs before systemd-modules-load.service
 * and systemd-sysctl.service, so they load and set these at the boot that wrote them. Absent keys remove the files.
 */

export const MODULES_LOAD = '/etc/modules-load.d/50-maculaos-seed.conf';
export const MODPROBE_OPTIONS = '/etc/modprobe.d/50-maculaos-seed.conf';
export const SYSCTL_CONF = '/etc/sysctl.d/50-maculaos-seed.conf';

const HEADER = '# Written by maculaos-seed from config.yaml at every boot. Do not edit: it is rewritten.';

function fileOrRemove(path: string, lines: readonly string[]): Change {
  if (lines.length === 0) return { kind: 'remove', path };
  return { kind: 'file', path, content: `${[HEADER, ...lines].join('\n')}\n`, mode: 0o644 };
}

/** The modules and sysctl part of the plan. */
export function planKernel(m: MaculaosConfig): PlanPart {
  const entries = (m.modules ?? []).map((line) => line.trim().split(/ +/));
  const names = entries.map(([name = '']) => name);
  const options = entries.filter((e) => e.length > 1).map(([name = '', ...params]) => `options ${name} ${params.join(' ')}`);
  // sysctl.d takes `name = value`; a value is one line (shared/seed-k3os-fields.ts).
  const sysctls = Object.entries(m.sysctls ?? {}).map(([name, value]) => `${name} = ${value}`);
  const summary: Record<string, string> = {};
  if (names.length > 0) summary.modules = names.join(',');
  if (sysctls.length > 0) summary.sysctls = String(sysctls.length);
  return {
    changes: [fileOrRemove(MODULES_LOAD, names), fileOrRemove(MODPROBE_OPTIONS, options), fileOrRemove(SYSCTL_CONF, sysctls)],
    summary,
  };
}
