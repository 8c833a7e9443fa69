import { create } from 'qrcode';

/**
 * Reads back a QR code drawn by qrcode's small terminal renderer (the node's console banner): half blocks, black on
 * white, one quiet-zone module around. Each text row holds two module rows: ' ' white/white, '▀' black/white,
 * '▄' white/black, '█' black/black (top/bottom). The row after the last module row is border only and is not read.
 */

const HALVES: Readonly<Record<string, readonly [boolean, boolean]>> = { ' ': [false, false], '▀': [true, false], '▄': [false, true], '█': [true, true] };

/** `text` without ANSI colour sequences. */
export function stripAnsi(text: string): string {
  return text.replace(new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g'), '');
}

/**
 * The dark modules of a `size`×`size` QR code whose first text row (the top border with module row 0) is
 * `lines[first]`, drawn from column `column` on (ANSI sequences already stripped). Undefined if a character is not a
 * half block.
 */
export function modulesAt(lines: readonly string[], first: number, column: number, size: number): boolean[] | undefined {
  const dark: boolean[] = [];
  for (let y = 0; y < size; y++) {
    // Row y is the bottom half of text row y/2 (even y) or the top half of text row (y+1)/2 (odd y).
    const row = [...(lines[first + Math.ceil(y / 2)] ?? '')];
    for (let x = 0; x < size; x++) {
      const halves = HALVES[row[column + 1 + x] ?? ''];
      if (!halves) return undefined;
      dark.push(y % 2 === 0 ? halves[1] : halves[0]);
    }
  }
  return dark;
}

/** The modules qrcode makes for `text` at error correction M (what the banner asks for). */
export function expectedModules(text: string): { size: number; dark: boolean[] } {
  const qr = create(text, { errorCorrectionLevel: 'M' });
  return { size: qr.modules.size, dark: Array.from(qr.modules.data, (m) => m === 1) };
}

/** Whether `text` (a console's output, ANSI or not) shows the QR code of `link` somewhere, at any column. */
export function showsQrOf(text: string, link: string): boolean {
  const { size, dark } = expectedModules(link);
  const lines = stripAnsi(text).split('\n');
  for (let first = 0; first < lines.length; first++) {
    const line = [...(lines[first] ?? '')];
    for (let column = 0; column + size + 2 <= line.length; column++) {
      const found = modulesAt(lines, first, column, size);
      if (found && found.every((d, i) => d === dark[i])) return true;
    }
  }
  return false;
}
