import { toString as qrText } from 'qrcode';
import { assertNever } from '../../../shared/errors';
import { formatSetupCode } from '../../../shared/fleet/setup-code';
import type { SetupCodeState } from './setup-code';

/**
 * The setup code as the node's console shows it (never the network: main.ts prints it to the journal and the
 * console only): the code in text, how to use it, and a QR code of `macula://adopt?node=ID&code=CODE` for a camera.
 */

/** What the QR code carries: the node id and the code, so a scanning desktop needs nothing typed. */
export function adoptUri(nodeId: string, code: string): string {
  return `macula://adopt?node=${encodeURIComponent(nodeId)}&code=${formatSetupCode(code)}`;
}

export async function setupCodeScreen(hostname: string, nodeId: string, state: SetupCodeState): Promise<string> {
  switch (state.kind) {
    case 'open': {
      const minutes = Math.max(1, Math.round((state.expiresAt - Date.now()) / 60_000));
      const qr = await qrText(adoptUri(nodeId, state.code), { type: 'terminal', small: true });
      return [
        `This node is not paired with any desktop yet. To adopt it, run on your computer:`,
        `  macula adopt ${hostname} --code ${formatSetupCode(state.code)}`,
        `or press "Adopt" in Macula Companion's Fleet view and enter the setup code:`,
        '',
        `  Setup code: ${formatSetupCode(state.code)}   (valid about ${minutes} min)`,
        '',
        qr,
      ].join('\n');
    }
    case 'locked':
      return `Too many wrong setup codes: adoption is locked until ${new Date(state.until).toISOString()}; a new code is shown then.`;
    case 'closed':
      return 'This node was adopted: the setup code is no longer valid.';
    default:
      return assertNever(state);
  }
}
