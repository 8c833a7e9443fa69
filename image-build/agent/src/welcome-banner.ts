import type { PairingStatus } from '../../../shared/fleet/node-api';

/**
 * The console welcome of the plan's §8.1 step 4, as text for the node's screen or serial console: host name,
 * addresses, the local page's URL and, while a device flow waits, the pairing code and where to enter it. Plain ASCII
 * box drawing, so a serial console without UTF-8 shows it too.
 */

export interface BannerFacts {
  readonly hostname: string;
  readonly addresses: readonly string[];
  /** The agent's HTTPS port: left out of the URL when it is 443. */
  readonly port: number;
  readonly status: PairingStatus;
}

function url(host: string, port: number): string {
  return port === 443 ? `https://${host}/` : `https://${host}:${port}/`;
}

function pairingLines(status: PairingStatus): string[] {
  switch (status.state) {
    case 'awaiting_user':
      return [`Pairing code: ${status.user_code}`, `Enter it at:  ${status.verification_uri}`];
    case 'paired':
      return [`Paired with ${status.org_identity}.`];
    case 'failed':
      return [`Pairing failed: ${status.message}`];
    case 'idle':
    case 'redeeming':
      return ['Pair this node from Macula Companion, or open the page above.'];
  }
}

export function welcomeBanner(facts: BannerFacts): string {
  const lines = [
    'Welcome to MaculaOS',
    '',
    `Host:    ${facts.hostname}`,
    `Address: ${facts.addresses.length ? facts.addresses.join(', ') : '(no network yet)'}`,
    `Visit:   ${url(`${facts.hostname}.local`, facts.port)}`,
    ...facts.addresses.map((a) => `         ${url(a, facts.port)}`),
    '',
    ...pairingLines(facts.status),
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const edge = `+${'-'.repeat(width + 2)}+`;
  return [edge, ...lines.map((l) => `| ${l.padEnd(width)} |`), edge].join('\n');
}
