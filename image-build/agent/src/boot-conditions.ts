import { access } from 'node:fs/promises';
import { lanAddresses } from './os-facts';

/**
 * What a node pairing itself at boot waits for before talking to the Portal: an address on a network, and a clock
 * that TLS can trust. A Raspberry Pi has no real-time clock: until systemd-timesyncd has synchronised it, the clock
 * says 1970 or the image's build date, and every Portal certificate is "not yet valid". timesyncd marks its first
 * synchronisation with a file (systemd-timesyncd.service(8)); a node whose LAN has no NTP server never gets it, so the
 * wait for the clock is bounded, after which pairing is tried anyway (and retried, with back-off, while TLS fails).
 */
export interface BootConditions {
  /** Whether the node has an address on a network (the unit's network-online.target does not wait: see the unit). */
  networkReady(): boolean;
  /** Whether the clock has been synchronised. */
  clockSynchronised(): Promise<boolean>;
  /** How long, from the network being up, the clock is waited for before pairing is tried on the clock there is. */
  readonly clockBoundMs: number;
  /** Between two looks at the conditions. */
  readonly pollMs: number;
}

/** systemd-timesyncd creates it on its first synchronisation, in every boot (tmpfs). */
export const TIMESYNC_MARKER = '/run/systemd/timesync/synchronized';
/** Long enough for NTP over a slow uplink (timesyncd's first poll is at once, retried every 30 s), short enough to get going. */
export const CLOCK_BOUND_MS = 90_000;

export function systemBootConditions(options: { readonly clockMarker?: string; readonly clockBoundMs?: number; readonly pollMs?: number } = {}): BootConditions {
  const marker = options.clockMarker ?? TIMESYNC_MARKER;
  return {
    networkReady: () => lanAddresses().length > 0,
    clockSynchronised: () => access(marker).then(() => true, () => false),
    clockBoundMs: options.clockBoundMs ?? CLOCK_BOUND_MS,
    pollMs: options.pollMs ?? 1_000,
  };
}
