import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64urlToBytes, bytesToBase64url } from '../shared/fleet/base64url';
import { fingerprintFromHex } from '../shared/fleet/cert-fingerprint';
import { FleetProtocolError } from '../shared/fleet/fleet-error';
import { NODE_API, challengeRequestSchema, pairingStatusSchema, txtStateOf } from '../shared/fleet/node-api';
import { proofMessage } from '../shared/fleet/pairing-proof';
import {
  TXT_KEYS,
  TXT_MAX_BYTES,
  type TxtRecord,
  encodeTxtRecord,
  parseTxtRecord,
  safeParseTxtRecord,
  txtRecordSize,
} from '../shared/fleet/txt-record';
import { SECRET_PATHS } from '../shared/seed-secrets';

/** SHA-256("abc") (FIPS 180-2 appendix B.1), as a fingerprint. */
const FP_ABC = 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0';

const record: TxtRecord = {
  nodeId: '3f2b8c1e-9d4a-4e7b-8c2d-5a6f7e8d9c0b',
  state: 'unpaired',
  fingerprint: FP_ABC,
  osVersion: '0.1.0',
  arch: 'amd64',
  meshRoles: ['relay', 'bootstrap'],
  apiPort: 8443,
};
const encoded = [
  'txtvers=1',
  'id=3f2b8c1e-9d4a-4e7b-8c2d-5a6f7e8d9c0b',
  'st=unpaired',
  `fp=${FP_ABC}`,
  'os=0.1.0',
  'arch=amd64',
  'roles=bootstrap,relay',
  'port=8443',
];

/** The FleetProtocolError a call throws, for its code and key. */
function refusal(fn: () => unknown): FleetProtocolError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FleetProtocolError) return e;
    throw e;
  }
  throw new Error('expected a FleetProtocolError, nothing was thrown');
}

/** `encoded` with the string for `key` replaced (or removed with `undefined`). */
function withKey(key: string, value: string | undefined): string[] {
  return encoded.flatMap((s) => (s.startsWith(`${key}=`) ? (value === undefined ? [] : [`${key}=${value}`]) : [s]));
}

describe('_macula._tcp TXT record (RFC 6763 §6)', () => {
  it('encodes txtvers=1 first, then the short keys in a fixed order, in 161 bytes, and parses back', () => {
    const strings = encodeTxtRecord(record);
    expect(strings).toEqual(encoded);
    expect(txtRecordSize(strings)).toBe(161);
    expect(parseTxtRecord(strings)).toEqual({ ...record, meshRoles: ['bootstrap', 'relay'] });
  });

  it('reads keys without regard to case or order, and skips keys it does not know', () => {
    const [first, ...rest] = encoded;
    const shuffled = [first ?? '', ...rest.reverse().map((s) => s.replace(/^arch=/, 'ARCH=')), 'future=1', 'flag', '=orphan'];
    expect(parseTxtRecord(shuffled)).toEqual(parseTxtRecord(encoded));
  });

  it('refuses a record missing any required key, naming the key', () => {
    for (const key of Object.values(TXT_KEYS)) {
      const e = refusal(() => parseTxtRecord(withKey(key, undefined)));
      expect([e.code, e.key]).toEqual(['ERR_TXT_MISSING_KEY', key]);
      expect(e.message).toContain(`"${key}"`);
    }
  });

  it('requires txtvers=1 as the first string (RFC 6763 §6.7)', () => {
    const [, ...rest] = encoded;
    expect(refusal(() => parseTxtRecord(rest)).code).toBe('ERR_TXT_VERSION');
    expect(refusal(() => parseTxtRecord([...rest, 'txtvers=1'])).code).toBe('ERR_TXT_VERSION');
    expect(refusal(() => parseTxtRecord(['txtvers=2', ...rest])).code).toBe('ERR_TXT_VERSION');
    expect(refusal(() => parseTxtRecord([])).code).toBe('ERR_TXT_VERSION');
  });

  it('takes 200 bytes and refuses 201 (RFC 6763 §6.2), and any string over 255 bytes (§6.1)', () => {
    // Padding with an unknown key: one length byte plus "x=" plus the filler.
    const pad = (total: number) => [...encoded, `x=${'a'.repeat(total - 161 - 3)}`];
    expect(txtRecordSize(pad(200))).toBe(TXT_MAX_BYTES);
    expect(parseTxtRecord(pad(200)).nodeId).toBe(record.nodeId);
    const e = refusal(() => parseTxtRecord(pad(201)));
    expect(e.code).toBe('ERR_TXT_TOO_LARGE');
    expect(e.message).toContain('201 bytes');
    // Multi-byte characters count as their UTF-8 bytes: 183 characters, 202 bytes.
    expect(refusal(() => parseTxtRecord([...encoded, `x=${'é'.repeat(19)}`])).code).toBe('ERR_TXT_TOO_LARGE');
    expect(refusal(() => parseTxtRecord(['txtvers=1', `x=${'a'.repeat(256)}`])).code).toBe('ERR_TXT_TOO_LARGE');
  });

  it('keeps the longest valid record within 200 bytes', () => {
    const longest: TxtRecord = { ...record, osVersion: `1.0.0-${'r'.repeat(26)}`, meshRoles: ['bootstrap', 'relay'], apiPort: 65535 };
    expect(txtRecordSize(encodeTxtRecord(longest))).toBeLessThanOrEqual(TXT_MAX_BYTES);
    expect(refusal(() => encodeTxtRecord({ ...longest, osVersion: `${longest.osVersion}r` })).key).toBe('os');
  });

  it('refuses a key given twice, in any case, rather than pick one', () => {
    const e = refusal(() => parseTxtRecord([...encoded, 'ID=other-node']));
    expect([e.code, e.key]).toEqual(['ERR_TXT_DUPLICATE_KEY', 'id']);
  });

  it('refuses invalid values, naming the key', () => {
    const cases: [string, string][] = [
      ['st', 'gone'],
      ['port', '0'],
      ['port', '08443'],
      ['port', '65536'],
      ['fp', createHash('sha256').update('abc').digest('hex')],
      ['fp', `${FP_ABC.slice(0, 42)}1`], // non-canonical: the last character's low bits set
      ['roles', 'relay,relay'],
      ['roles', 'Relay'],
      ['id', 'Not-An-Id'],
      ['arch', 'x86'],
      ['os', 'v1'],
    ];
    for (const [key, value] of cases) {
      const e = refusal(() => parseTxtRecord(withKey(key, value)));
      expect([e.code, e.key, value]).toEqual(['ERR_TXT_INVALID_VALUE', key, value]);
    }
    expect(refusal(() => parseTxtRecord(withKey('st', undefined).concat('st'))).code).toBe('ERR_TXT_INVALID_VALUE');
  });

  it('writes no roles as an empty value and skips roles a newer node may add', () => {
    const none = encodeTxtRecord({ ...record, meshRoles: [] });
    expect(none).toContain('roles=');
    expect(parseTxtRecord(none).meshRoles).toEqual([]);
    expect(parseTxtRecord(withKey('roles', 'relay,gateway')).meshRoles).toEqual(['relay']);
  });

  it('cannot carry a secret', () => {
    // No key of the record names a secret field of the seed.
    const secretNames = SECRET_PATHS.map((p) => p.split('.').pop() ?? p);
    for (const key of [...Object.keys(TXT_KEYS), ...Object.values(TXT_KEYS)]) {
      expect(secretNames.some((s) => key.toLowerCase().includes(s.replace('[]', '')))).toBe(false);
    }
    // The encoder takes only the record's fields ...
    const smuggled = { ...record, key: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8', token: 'enr_secret' } as unknown as TxtRecord;
    expect(refusal(() => encodeTxtRecord(smuggled)).code).toBe('ERR_TXT_INVALID_VALUE');
    // ... refuses a field holding a secret it is told of (the pairing key has a fingerprint's shape) ...
    const pairingKey = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
    const e = refusal(() => encodeTxtRecord({ ...record, fingerprint: pairingKey }, { secrets: [pairingKey, 'enr_secret'] }));
    expect([e.code, e.key]).toEqual(['ERR_TXT_SECRET', 'fp']);
    expect(e.message).not.toContain(pairingKey);
    // ... and unknown keys read from the wire never reach the result.
    expect(Object.keys(parseTxtRecord([...encoded, 'token=enr_secret']))).not.toContain('token');
  });

  it('turns any junk into a refusal, never a throw', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const strings = Array.from({ length: next() % 12 }, () =>
        String.fromCharCode(...Array.from({ length: next() % 40 }, () => (next() % 3 === 0 ? 61 : 32 + (next() % 95)))),
      );
      if (i % 3 === 0) strings.unshift('txtvers=1');
      const result = safeParseTxtRecord(strings);
      expect(result.ok).toBe(false);
    }
  });
});

describe('certificate fingerprint and base64url', () => {
  it('turns colon hex (X509Certificate.fingerprint256, openssl) into the compact form', () => {
    const hex = createHash('sha256').update('abc').digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
    expect(fingerprintFromHex(hex)).toBe(FP_ABC);
    expect(fingerprintFromHex(hex.replaceAll(':', '').toLowerCase())).toBe(FP_ABC);
    expect(() => fingerprintFromHex(hex.slice(3))).toThrow(RangeError);
  });

  it('decodes base64url as Node does, and refuses other alphabets', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytes(n);
      expect(Buffer.from(base64urlToBytes(bytes.toString('base64url')))).toEqual(bytes);
      expect(bytesToBase64url(bytes)).toBe(bytes.toString('base64url'));
    }
    expect(() => base64urlToBytes('ab+/')).toThrow(RangeError);
    expect(() => base64urlToBytes('abcde')).toThrow(RangeError);
  });
});

describe('pairing proof message', () => {
  const range = (from: number) => Uint8Array.from({ length: 32 }, (_, i) => from + i);
  const inputs = { desktopNonce: range(0x20), nodeNonce: range(0x40), fingerprint: range(0x60) };
  const pairingKey = base64urlToBytes('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'); // bytes 0x00..0x1f
  const tail = Buffer.from([...range(0x20), ...range(0x40), ...range(0x60)]).toString('hex');

  it('matches the known-answer vector, byte for byte and HMAC for HMAC', () => {
    const node = proofMessage('node', inputs);
    expect(Buffer.from(node).toString('hex')).toBe(`6d6163756c612d706169722d76312f6e6f646500${tail}`);
    expect(node.length).toBe(116);
    expect(createHmac('sha256', pairingKey).update(node).digest('hex')).toBe('0f1333ca891d52bb8b36f8992327aba84d833664fa79120ca4c9ff1adfcdfb17');
    const desktop = proofMessage('desktop', inputs);
    expect(Buffer.from(desktop).toString('hex')).toBe(`6d6163756c612d706169722d76312f6465736b746f7000${tail}`);
    expect(createHmac('sha256', pairingKey).update(desktop).digest('hex')).toBe('0629bb9d6d502b74cae5c9246ccbb6cc4a3116caf9fcbd86938ffbf69dbda5d8');
  });

  it('refuses inputs of the wrong length, naming them', () => {
    for (const name of ['desktopNonce', 'nodeNonce', 'fingerprint'] as const) {
      const e = refusal(() => proofMessage('node', { ...inputs, [name]: new Uint8Array(31) }));
      expect([e.code, e.key]).toEqual(['ERR_PROOF_INPUT', name]);
    }
  });
});

describe('node agent API schemas', () => {
  it('gives every route its own method and path, and asks a session only for pairing and the seed report', () => {
    const routes = Object.values(NODE_API);
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(routes.length);
    expect(routes.filter((r) => r.auth === 'session').map((r) => r.path)).toEqual(['/api/v1/pairing/start', '/api/v1/pairing/status', '/api/v1/seed-report']);
    expect(challengeRequestSchema.safeParse({ desktop_nonce: FP_ABC, extra: 1 }).success).toBe(false);
  });

  it('shows the user code while pairing, and refuses a status that would leak the device code', () => {
    const awaiting = {
      state: 'awaiting_user',
      user_code: 'WDJB-MJHT',
      verification_uri: 'https://macula.io/device',
      verification_uri_complete: 'https://macula.io/device?user_code=WDJB-MJHT',
      expires_in: 600,
      interval: 5,
    };
    expect(pairingStatusSchema.parse(awaiting)).toEqual(awaiting);
    expect(pairingStatusSchema.safeParse({ ...awaiting, device_code: 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS' }).success).toBe(false);
  });

  it('maps each pairing state to the TXT state', () => {
    expect((['idle', 'redeeming', 'awaiting_user', 'paired', 'failed'] as const).map(txtStateOf)).toEqual([
      'unpaired',
      'pairing',
      'pairing',
      'paired',
      'unpaired',
    ]);
  });
});
