import { MaculaError } from './errors';
import { type Seed, validateSeed } from './seed';
import { hostnameProblem } from './seed-fields';

/**
 * One seed per target of a multi-target flash: each node gets its own hostname (from a template), node id and
 * pairing key. Randomness is injected (the engine passes `crypto.getRandomValues`), so shared/ stays platform-free
 * and tests can be deterministic.
 */

/** `n` random bytes; must be cryptographically strong in production. */
export type RandomBytes = (n: number) => Uint8Array;

export interface ExpandOptions {
  /** Serial number of each target, in target order, for `{serial}` (undefined where a target has none). */
  readonly serials?: readonly (string | undefined)[];
  readonly random: RandomBytes;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    const chars = i + 1 >= bytes.length ? 2 : i + 2 >= bytes.length ? 3 : 4;
    for (let c = 0; c < chars; c++) out += B64URL[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

function randomBytes(random: RandomBytes, n: number): Uint8Array {
  const bytes = random(n);
  if (bytes.length !== n) throw new Error(`random source gave ${bytes.length} bytes, ${n} asked`);
  return bytes;
}

/** A random (version 4) UUID, RFC 9562 §5.4: version nibble 4, variant bits 10. */
export function uuidV4(random: RandomBytes): string {
  const b = Uint8Array.from(randomBytes(random, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A fresh pairing key: 32 random bytes, base64url (43 characters). */
export function pairingKey(random: RandomBytes): string {
  return base64url(randomBytes(random, 32));
}

/** A drive serial made fit for a host name label: lower case, anything but a-z 0-9 turned into "-". */
function serialLabel(serial: string): string {
  return serial
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Expands a hostname template for target `index` (0-based) of `count`: `{n}` 1, `{nn}` 01, `{serial}`. */
export function expandHostname(template: string, index: number, count: number, serial: string | undefined): string {
  const width = Math.max(2, String(count).length);
  const name = template.replace(/\{(nn|n|serial)\}/g, (_m, key: string) => {
    if (key === 'n') return String(index + 1);
    if (key === 'nn') return String(index + 1).padStart(width, '0');
    const label = serial === undefined ? '' : serialLabel(serial);
    if (label === '') {
      throw new MaculaError('ERR_SEED_INVALID', `hostname: "${template}" uses {serial} but target ${index + 1} has no serial number`, {
        field: 'hostname',
      });
    }
    return label;
  });
  const problem = hostnameProblem(name);
  if (problem) {
    throw new MaculaError('ERR_SEED_INVALID', `hostname: "${name}" (target ${index + 1}, from "${template}") ${problem}`, { field: 'hostname' });
  }
  return name;
}

function refuse(field: string, message: string): never {
  throw new MaculaError('ERR_SEED_INVALID', `${field}: ${message}`, { field });
}

/**
 * One validated seed per target. The hostname template is expanded per target; `pairing.node_id` and `pairing.key`
 * are generated per target unless given, and may only be given for a single target: every node must have its own.
 * So may a pasted enrollment token, which the Portal redeems once (several targets get theirs from a sign-in).
 */
export function expandSeeds(base: Seed, count: number, { serials, random }: ExpandOptions): Seed[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`target count must be a positive integer, got ${count}`);
  if (serials !== undefined && serials.length !== count) throw new RangeError(`${serials.length} serials for ${count} targets`);
  const given = base.maculaos.pairing;
  if (count > 1 && given?.key !== undefined) {
    refuse('maculaos.pairing.key', `a fixed key cannot be given for ${count} targets: every node must have its own key (leave it out to generate one per node)`);
  }
  if (count > 1 && given?.node_id !== undefined) {
    refuse('maculaos.pairing.node_id', `a fixed node id cannot be given for ${count} targets: leave it out to generate one per node`);
  }
  // The Portal redeems an enrollment token once: copied into N seeds, nodes 2..N would end in enrollment_token_refused.
  if (count > 1 && base.maculaos.portal?.enrollment_token !== undefined) {
    refuse(
      'maculaos.portal.enrollment_token',
      `a pasted enrollment token is redeemable once and cannot be seeded into ${count} targets: sign in to the Portal instead (macula flash --portal-sign-in, or "Sign in to the Portal" in the app), which mints one token per node`,
    );
  }
  const seeds: Seed[] = [];
  for (let i = 0; i < count; i++) {
    const hostname = base.hostname === undefined ? undefined : expandHostname(base.hostname, i, count, serials?.[i]);
    const pairing = { node_id: given?.node_id ?? uuidV4(random), key: given?.key ?? pairingKey(random) };
    const seed = { ...base, ...(hostname !== undefined ? { hostname } : {}), maculaos: { ...base.maculaos, pairing } };
    seeds.push(validateSeed(seed, `for target ${i + 1}`));
  }
  const distinct = (pick: (s: Seed) => string | undefined): boolean => new Set(seeds.map(pick)).size === count;
  if (count > 1 && base.hostname !== undefined && !distinct((s) => s.hostname)) {
    refuse('hostname', `"${base.hostname}" gives the same name to several of the ${count} targets: use {nn}, {n} or {serial}`);
  }
  // A random source that repeats itself would give two nodes one identity: never let that through.
  if (!distinct((s) => s.maculaos.pairing?.key) || !distinct((s) => s.maculaos.pairing?.node_id)) {
    throw new Error('random source repeated itself: two targets got the same pairing key or node id');
  }
  return seeds;
}
