import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MaculaError } from './errors';
import { validateSeed } from './seed';
import { type RandomBytes, base64url, expandHostname, expandSeeds, uuidV4 } from './seed-batch';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const KEY = /^[A-Za-z0-9_-]{43}$/;
const random: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
const template = (hostname: string, extra: Record<string, unknown> = {}) =>
  validateSeed({ hostname, maculaos: { timezone: 'UTC', ...extra } }, 't', { templates: true });

function refusal(run: () => unknown): MaculaError {
  try {
    run();
  } catch (e) {
    if (e instanceof MaculaError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('expandSeeds', () => {
  it('gives 3 targets macula-01..03, each its own node id and pairing key, the rest shared', () => {
    const seeds = expandSeeds(template('macula-{nn}'), 3, { random });
    expect(seeds.map((s) => s.hostname)).toEqual(['macula-01', 'macula-02', 'macula-03']);
    const ids = seeds.map((s) => s.maculaos.pairing?.node_id ?? '');
    const keys = seeds.map((s) => s.maculaos.pairing?.key ?? '');
    expect(new Set(ids).size).toBe(3);
    expect(new Set(keys).size).toBe(3);
    for (const id of ids) expect(id).toMatch(UUID_V4);
    for (const key of keys) expect(key).toMatch(KEY);
    expect(seeds.every((s) => s.maculaos.timezone === 'UTC')).toBe(true);
  });

  it('expands {n}, widens {nn} past 99 targets, and substitutes each target’s {serial} as a host name label', () => {
    expect(expandSeeds(template('node{n}'), 2, { random }).map((s) => s.hostname)).toEqual(['node1', 'node2']);
    expect(expandHostname('m-{nn}', 6, 100, undefined)).toBe('m-007');
    const seeds = expandSeeds(template('pi-{serial}'), 3, { random, serials: ['10000000ABCDEF01', 'usb 3.0/x', 'c'] });
    expect(seeds.map((s) => s.hostname)).toEqual(['pi-10000000abcdef01', 'pi-usb-3-0-x', 'pi-c']);
  });

  it('refuses {serial} for a target without one, and a name that expands to a bad host name', () => {
    const noSerial = refusal(() => expandSeeds(template('pi-{serial}'), 2, { random, serials: ['A1', undefined] }));
    expect(noSerial.details.field).toBe('hostname');
    expect(noSerial.message).toMatch(/target 2 has no serial/);
    expect(refusal(() => expandSeeds(template('{serial}'), 1, { random, serials: ['-'] })).message).toMatch(/no serial/);
    // 61 + 2 digits pass the template check; 61 + 3 digits for 100 targets do not.
    expect(refusal(() => expandSeeds(template(`${'a'.repeat(61)}{nn}`), 100, { random })).message).toMatch(/aaa001" \(target 1.*more than 63/);
  });

  it('refuses a fixed pairing key or node id for several targets, and keeps them for one', () => {
    const key = base64url(randomBytes(32));
    const fixedKey = refusal(() => expandSeeds(template('macula-{nn}', { pairing: { key } }), 3, { random }));
    expect(fixedKey.code).toBe('ERR_SEED_INVALID');
    expect(fixedKey.details.field).toBe('maculaos.pairing.key');
    expect(fixedKey.message).toMatch(/every node must have its own key/);
    expect(fixedKey.message).not.toContain(key);
    const nodeId = '0b9e4a52-6d1f-4c3e-9a7b-2f8d5c6e1a30';
    expect(refusal(() => expandSeeds(template('m-{n}', { pairing: { node_id: nodeId } }), 2, { random })).details.field).toBe('maculaos.pairing.node_id');
    const [one] = expandSeeds(template('solo', { pairing: { key, node_id: nodeId } }), 1, { random });
    expect(one?.maculaos.pairing).toEqual({ key, node_id: nodeId });
    const [keyOnly] = expandSeeds(template('solo', { pairing: { key } }), 1, { random });
    expect(keyOnly?.maculaos.pairing?.node_id).toMatch(UUID_V4);
  });

  it('refuses a pasted enrollment token for several targets (redeemable once), naming the sign-in, and keeps it for one', () => {
    const portal = { portal: { url: 'https://portal.example.com', enrollment_token: 'enroll-0123456789abcdef' } };
    const e = refusal(() => expandSeeds(template('m-{nn}', portal), 3, { random }));
    expect([e.code, e.details.field]).toEqual(['ERR_SEED_INVALID', 'maculaos.portal.enrollment_token']);
    expect(e.message).toMatch(/redeemable once.*3 targets.*--portal-sign-in/);
    expect(e.message).not.toContain('enroll-0123456789abcdef');
    expect(expandSeeds(template('m-{nn}', portal), 1, { random })[0]?.maculaos.portal?.enrollment_token).toBe('enroll-0123456789abcdef');
  });

  it('refuses one fixed hostname for several targets, and leaves an absent hostname absent', () => {
    expect(refusal(() => expandSeeds(template('macula'), 3, { random })).message).toMatch(/same name to several of the 3 targets/);
    const seeds = expandSeeds(validateSeed({}, 't'), 2, { random });
    expect(seeds.map((s) => s.hostname)).toEqual([undefined, undefined]);
  });

  it('never lets a repeating random source give two nodes one identity', () => {
    const stuck: RandomBytes = (n) => new Uint8Array(n).fill(7);
    expect(() => expandSeeds(template('m-{nn}'), 2, { random: stuck })).toThrow(/repeated itself/);
    expect(() => expandSeeds(template('m-{nn}'), 1, { random: (n) => new Uint8Array(n - 1) })).toThrow(/gave 15 bytes/);
  });

  it('checks its arguments', () => {
    expect(() => expandSeeds(template('m-{nn}'), 0, { random })).toThrow(RangeError);
    expect(() => expandSeeds(template('m-{nn}'), 2, { random, serials: ['a'] })).toThrow(/1 serials for 2 targets/);
  });
});

describe('random identities', () => {
  it('encodes base64url as Node does (RFC 4648 §5, no padding)', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytes(n);
      expect(base64url(bytes)).toBe(bytes.toString('base64url'));
    }
  });

  it('makes RFC 9562 version 4 UUIDs from the random source', () => {
    expect(uuidV4((n) => new Uint8Array(n).fill(0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(uuidV4((n) => new Uint8Array(n))).toBe('00000000-0000-4000-8000-000000000000');
    expect(uuidV4(random)).toMatch(UUID_V4);
  });
});
