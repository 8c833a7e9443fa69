import type { MaculaosConfig } from '../../shared/seed';
import type { Change, PlanPart } from './changes';

/**
 * `maculaos.ntp_servers` → systemd-timesyncd, `maculaos.dns_nameservers` → systemd-resolved, each as a drop-in
 * (timesyncd.conf(5), resolved.conf(5): `/etc/systemd/*.conf.d/*.conf` override the main file). An absent or empty list
 * leaves the image's default (the DHCP-given servers, then Debian's fallbacks): its drop-in is removed.
 */

export const TIMESYNCD_DROPIN = '/etc/systemd/timesyncd.conf.d/50-maculaos-seed.conf';
export const RESOLVED_DROPIN = '/etc/systemd/resolved.conf.d/50-maculaos-seed.conf';

const HEADER = '# Written by maculaos-seed from config.yaml at every boot. Do not edit: it is rewritten.';

function dropIn(path: string, section: string, key: string, values: readonly string[]): Change {
  if (values.length === 0) return { kind: 'remove', path };
  return { kind: 'file', path, content: `${HEADER}\n[${section}]\n${key}=${values.join(' ')}\n`, mode: 0o644 };
}

/** The NTP and DNS part of the plan. */
export function planTimeAndDns(m: MaculaosConfig): PlanPart {
  const ntp = m.ntp_servers ?? [];
  const dns = m.dns_nameservers ?? [];
  const summary: Record<string, string> = {};
  if (ntp.length > 0) summary.ntp = ntp.join(',');
  if (dns.length > 0) summary.dns = dns.join(',');
  return { changes: [dropIn(TIMESYNCD_DROPIN, 'Time', 'NTP', ntp), dropIn(RESOLVED_DROPIN, 'Resolve', 'DNS', dns)], summary };
}
