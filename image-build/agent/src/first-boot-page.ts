import QRCode from 'qrcode';
import type { PairingStatus } from '../../../shared/fleet/node-api';

/**
 * The plan's first-boot screen (§8.1 step 4) for people with a phone: while a device flow waits for approval, a QR code
 * of the Portal's `verification_uri_complete` and the pairing (user) code to type at `verification_uri`. Rendered on
 * the node as SVG, so the page needs no script, no image request and nothing from the internet.
 */

/** The page allows no scripts and loads nothing: the SVG is inline. */
export const FIRST_BOOT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** An SVG QR code of `text` (error correction M, ISO/IEC 18004 §6.5.1: survives a smudged screen photo). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

export interface FirstBootView {
  readonly hostname: string;
  readonly status: PairingStatus;
}

function body(view: FirstBootView, qr: string | undefined): string {
  const s = view.status;
  switch (s.state) {
    case 'awaiting_user':
      return `<p>Scan the code with your phone, or open <a id="verification-uri" href="${escapeHtml(s.verification_uri)}">${escapeHtml(s.verification_uri)}</a> and enter:</p>
<div id="qr" class="qr">${qr ?? ''}</div>
<p class="code">Pairing code: <strong id="pairing-code">${escapeHtml(s.user_code)}</strong></p>`;
    case 'paired':
      return `<p id="paired">This node is paired with ${escapeHtml(s.org_identity)} (approved by ${escapeHtml(s.user_name)}).</p>`;
    case 'failed':
      return `<p id="failed">Pairing did not finish: ${escapeHtml(s.message)}. Pair it from Macula Companion on your computer.</p>`;
    case 'idle':
    case 'redeeming':
      return `<p id="waiting">Waiting for pairing. Use Macula Companion on your computer, or reload this page in a moment.</p>`;
  }
}

/** The whole page for the node's current pairing status. */
export async function firstBootPage(view: FirstBootView): Promise<string> {
  const qr = view.status.state === 'awaiting_user' ? await qrSvg(view.status.verification_uri_complete) : undefined;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Welcome to MaculaOS — ${escapeHtml(view.hostname)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;text-align:center}
.qr svg{width:16rem;height:16rem}.code{font-size:1.5rem;letter-spacing:.1em}</style></head>
<body><h1>Welcome to MaculaOS</h1><p>Node <strong>${escapeHtml(view.hostname)}</strong></p>
${body(view, qr)}
</body></html>
`;
}
