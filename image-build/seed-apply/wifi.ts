import type { MaculaosConfig } from '../../shared/seed';
import type { PlanPart } from './changes';

/**
 * `maculaos.wifi` → a wpa_supplicant configuration that maculaos-wifi@.service runs on every wireless interface
 * (started by udev, rootfs/etc/udev/rules.d/90-maculaos-wifi.rules); systemd-networkd then does DHCP on it
 * (25-wireless.network). The file holds the passphrases: 0600, and never summarised beyond a count.
 */

export const WPA_CONFIG = '/etc/wpa_supplicant/maculaos.conf';

/** Bytes of `s` in UTF-8, as lower-case hex. */
function utf8Hex(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The wpa_supplicant.conf(5) text. The SSID is written as hex (the unquoted form), so any 1–32 bytes work, quotes and
 * non-ASCII included. The passphrase is a quoted string: the schema allows 8–63 printable ASCII (IEEE 802.11i H.4),
 * and wpa_supplicant takes everything up to the line's last `"`, so a `"` or `#` inside it is read as it is.
 * Earlier networks get a higher priority: the seed's order is the order of preference.
 */
export function wpaSupplicantConf(networks: NonNullable<MaculaosConfig['wifi']>): string {
  const blocks = networks.map((n, i) =>
    ['network={', `\tssid=${utf8Hex(n.ssid)}`, `\tpsk="${n.psk}"`, '\tkey_mgmt=WPA-PSK', `\tpriority=${networks.length - i}`, '}'].join('\n'),
  );
  return [
    '# Written by maculaos-seed from config.yaml (maculaos.wifi) at every boot. Do not edit: it is rewritten.',
    // For wpa_cli, root only.
    'ctrl_interface=DIR=/run/wpa_supplicant GROUP=root',
    'update_config=0',
    ...blocks,
    '',
  ].join('\n');
}

/** The Wi-Fi part of the plan: the configuration, or its removal when the seed names no network. */
export function planWifi(m: MaculaosConfig): PlanPart {
  const networks = m.wifi ?? [];
  if (networks.length === 0) return { changes: [{ kind: 'remove', path: WPA_CONFIG }], summary: {} };
  return {
    changes: [{ kind: 'file', path: WPA_CONFIG, content: wpaSupplicantConf(networks), mode: 0o600 }],
    summary: { wifi: String(networks.length) },
  };
}
