import { toString as qrString } from 'qrcode';
import { assertNever } from '../../../shared/errors';
import type { PairingStatus } from '../../../shared/fleet/node-api';

/**
 * The console welcome of the plan's §8.1 step 4, as text for the node's screen and serial console: host name,
 * addresses, the local page's URL and, while a device flow waits, the pairing code and where to enter it — beside a QR
 * code of the link to open (`consoleBanner`). The box is plain ASCII, so a serial console without UTF-8 shows it too;
 * the QR code is qrcode's small terminal rendering (half blocks, black on white by ANSI colours).
 */

export interface BannerFacts {
  readonly hostname: string;
  readonly addresses: readonly string[];
  /** The agent's HTTPS port: left out of the URL when it is 443. */
  readonly port: number;
  readonly status: PairingStatus;
}

/** A VT's width at boot (80×25 VGA text) and the usual serial terminal's. */
const SCREEN_COLUMNS = 80;
/** Longest line inside the box: longer messages (a Portal error) are wrapped. */
const TEXT_COLUMNS = 46;

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
    case 'waiting':
      switch (status.waiting_for) {
        case 'network':
          return ['Pairing waits for a network address.'];
        case 'clock':
          return ['Pairing waits for the clock to be set (NTP).'];
        case 'retry':
          return [`Pairing: ${status.message}`];
        default:
          return assertNever(status.waiting_for);
      }
    case 'idle':
    case 'redeeming':
      return ['Pair this node from Macula Companion, or open the page above.'];
    default:
      return assertNever(status);
  }
}

/** Breaks `line` at spaces into lines of at most `width` (a word longer than that is cut). */
function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > 0 ? space : width;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

/** The welcome as an ASCII box, every line the same length. */
export function welcomeBanner(facts: BannerFacts): string {
  const lines = [
    'Welcome to MaculaOS',
    '',
    `Host:    ${facts.hostname}`,
    `Address: ${facts.addresses.length ? facts.addresses.join(', ') : '(no network yet)'}`,
    `Visit:   ${url(`${facts.hostname}.local`, facts.port)}`,
    ...facts.addresses.map((a) => `         ${url(a, facts.port)}`),
    '',
    ...pairingLines(facts.status).flatMap((l) => wrap(l, TEXT_COLUMNS)),
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const edge = `+${'-'.repeat(width + 2)}+`;
  return [edge, ...lines.map((l) => `| ${l.padEnd(width)} |`), edge].join('\n');
}

/**
 * What the QR code carries: while a device flow waits, the Portal's complete link (RFC 8628 §3.3.1, the phone path of
 * plan §8.1), else the node's page at its first address (a phone without mDNS can open it), else at its `.local` name.
 */
export function bannerLink(facts: BannerFacts): string {
  if (facts.status.state === 'awaiting_user') return facts.status.verification_uri_complete ?? facts.status.verification_uri;
  return url(facts.addresses[0] ?? `${facts.hostname}.local`, facts.port);
}

/** An ANSI SGR sequence (colours), ESC [ … m, built from its code: a control character is not written in a regex. */
const ANSI_SGR = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g');

/** Columns a line takes on screen: its characters without the ANSI colour sequences. */
export function visibleWidth(line: string): number {
  return [...line.replace(ANSI_SGR, '')].length;
}

/**
 * The banner for a console: the QR code of `bannerLink` to the left of the box when both fit in 80 columns (a VGA
 * screen has 25 rows: side by side the whole banner stays on it), else above it.
 */
export async function consoleBanner(facts: BannerFacts): Promise<string> {
  const rendered = await qrString(bannerLink(facts), { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
  // The renderer ends with a line of colour resets only: nothing to show.
  const qr = rendered.split('\n').filter((l) => visibleWidth(l) > 0);
  const box = welcomeBanner(facts).split('\n');
  const qrWidth = Math.max(...qr.map(visibleWidth));
  const boxWidth = box[0]?.length ?? 0;
  if (qrWidth + 2 + boxWidth > SCREEN_COLUMNS) return [...qr, ...box].join('\n');
  const rows = Math.max(qr.length, box.length);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(`${qr[i] ?? ' '.repeat(qrWidth)}  ${box[i] ?? ''}`.trimEnd());
  return lines.join('\n');
}
