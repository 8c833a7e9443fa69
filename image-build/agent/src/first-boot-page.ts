import { assertNever } from '../../../shared/errors';
import type { PairingStatus } from '../../../shared/fleet/node-api';

/**
 * The node's first-boot page (plan §8.1 step 4) as anyone on the LAN sees it: the host name and the pairing state in a
 * word, nothing more. The user code, the verification link that carries it and the organisation are not here: whoever
 * can read this page is not known to own the node, and a code shown to a stranger lets them approve the node into
 * their own organisation, or phish its owner with it (RFC 8628 §5.4). The code is on the node's own console
 * (welcome-banner.ts) and, for a desktop that proved the pairing key, in `pairing/status`.
 */

/** The page allows no scripts and loads nothing. */
export const FIRST_BOOT_CSP = "default-src 'none'; style-src 'unsafe-inline'";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export interface FirstBootView {
  readonly hostname: string;
  readonly state: PairingStatus['state'];
}

function body(state: PairingStatus['state']): string {
  switch (state) {
    case 'awaiting_user':
      return `<p id="awaiting">Waiting for approval on the Portal. The pairing code is on this node's console and in Macula Companion on the computer that flashed it.</p>`;
    case 'paired':
      return `<p id="paired">This node is paired.</p>`;
    case 'failed':
      return `<p id="failed">Pairing did not finish. Pair it from Macula Companion on your computer, or see the node's console.</p>`;
    case 'idle':
    case 'redeeming':
    case 'waiting':
      return `<p id="waiting">Waiting for pairing. Use Macula Companion on your computer, or reload this page in a moment.</p>`;
    default:
      return assertNever(state);
  }
}

/** The whole page for the node's current pairing state. */
export function firstBootPage(view: FirstBootView): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Welcome to MaculaOS — ${escapeHtml(view.hostname)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;text-align:center}</style></head>
<body><h1>Welcome to MaculaOS</h1><p>Node <strong>${escapeHtml(view.hostname)}</strong></p>
${body(view.state)}
</body></html>
`;
}
