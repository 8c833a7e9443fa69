/**
 * The setup code an unseeded node shows on its own console (never on the network) so that its owner can adopt it:
 * 10 characters of Crockford's base32 (50 bits), shown as `XXXXX-XXXXX`. It is CPace's password (PRS): a watcher of
 * the exchange learns nothing to test guesses against, so the code only has to outlast five online guesses, after
 * which the node locks (image-build/agent/src/setup-code.ts, docs/fleet.md "Adopting a node").
 */

/** Crockford's base32: no I, L, O or U, so nothing reads as another character. */
export const SETUP_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const SETUP_CODE_LENGTH = 10;

/** `XXXXX-XXXXX`, for the console and for the user to type back. */
export function formatSetupCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * The canonical code from what the user typed: case, spaces and dashes ignored, O read as 0 and I/L as 1 (Crockford's
 * decoding rules); undefined when it cannot be a setup code.
 */
export function normalizeSetupCode(input: string): string | undefined {
  const code = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (code.length !== SETUP_CODE_LENGTH) return undefined;
  for (const ch of code) if (!SETUP_CODE_ALPHABET.includes(ch)) return undefined;
  return code;
}

/** A code from `random` bytes (one byte per character; 256 is a multiple of 32, so every character is uniform). */
export function setupCodeFrom(random: Uint8Array): string {
  if (random.length < SETUP_CODE_LENGTH) throw new RangeError(`a setup code needs ${SETUP_CODE_LENGTH} random bytes`);
  return Array.from(random.subarray(0, SETUP_CODE_LENGTH), (b) => SETUP_CODE_ALPHABET[b % 32]).join('');
}
