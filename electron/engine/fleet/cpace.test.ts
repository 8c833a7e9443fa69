import { describe, expect, it } from 'vitest';
import { calculateGenerator, cpaceIsk, cpaceShare, generatorString, CPACE_DSI, lvCat, prependLen, scalarMultVfy } from './cpace';

/** draft-irtf-cfrg-cpace, appendix "Test vector for CPace using group X25519 and hash SHA-512". */

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

const PRS = ascii('Password');
const CI = hex('0b415f696e69746961746f720b425f726573706f6e646572');
const SID = hex('7e4b4791d6a8ef019b936c79fb7f2c57');
const session = { prs: PRS, ci: CI, sid: SID };
const YA_SCALAR = hex('21b4f4bd9e64ed355c3eb676a28ebedaf6d8f17bdc365995b3190971 53044080');
const YB_SCALAR = hex('848b0779ff415f0af4ea14df9dd1d3c29ac41d836c7808896c4eba19 c51ac40a');

describe('CPace X25519/SHA-512 against the draft test vectors', () => {
  it('encodes lengths as LEB128 (prepend_len, lv_cat)', () => {
    expect(toHex(prependLen(new Uint8Array(0)))).toBe('00');
    expect(toHex(prependLen(new Uint8Array(128)).subarray(0, 2))).toBe('8001');
    expect(toHex(lvCat(ascii('1234'), ascii('5'), new Uint8Array(0), ascii('678')))).toBe('043132333401350003363738');
  });

  it('builds the generator string and the generator g', () => {
    const gen = generatorString(CPACE_DSI, PRS, CI, SID);
    expect(gen.length).toBe(170);
    expect(toHex(gen.subarray(0, 19))).toBe('0843506163653235350850617373776f72646d');
    expect(toHex(calculateGenerator(PRS, CI, SID))).toBe('d04bf6d41f6a289632a2e929fa29bebd51092512a7829fdde7d314b62f05a73f');
  });

  it('computes Ya, Yb, K and the initiator/responder ISK', () => {
    const a = cpaceShare(session, YA_SCALAR);
    const b = cpaceShare(session, YB_SCALAR);
    expect(toHex(a.share)).toBe('1d13c89278cdadd826f6d8d7f887701430f8380ddc17611cdd6dc989ce0c9f32');
    expect(toHex(b.share)).toBe('248cccf6d5cdc3646f0ad593f9e6cef4e69d4945f8372e623512ecea32185623');
    expect(toHex(scalarMultVfy(YA_SCALAR, b.share))).toBe('5b067effbdc0b2a0e1d907b21ebb25cfedb96a852179a847c37e43ee71322c6b');
    const transcript = { ya: a.share, ada: ascii('ADa'), yb: b.share, adb: ascii('ADb') };
    const isk = '6e19b875f7a561d6b3ca3dbb9ef42ac55de3e717881018204b8922b4d5e53bb2aa82c300bea7b65d2b671da71922ddf6472301b79bc270adfa8bf413285f2263';
    expect(toHex(cpaceIsk(session, a, b.share, transcript))).toBe(isk);
    expect(toHex(cpaceIsk(session, b, a.share, transcript))).toBe(isk);
  });

  it('aborts on low-order points (scalar_mult_vfy → G.I) and handles bit 255 as RFC 7748 says', () => {
    const s = hex('af46e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449aff');
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ];
    for (const u of lowOrder) expect(scalarMultVfy(s, hex(u)), u).toBeUndefined();
    const valid: [string, string][] = [
      ['daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', 'd8e2c776bbacd510d09fd9278b7edcd25fc5ae9adfba3b6e040e8d3b71b21806'],
      ['dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', 'c85c655ebe8be44ba9c0ffde69f2fe10194458d137f09bbff725ce58803cdb38'],
      ['d9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', 'db64dafa9b8fdd136914e61461935fe92aa372cb056314e1231bc4ec12417456'],
      ['cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880', 'e062dcd5376d58297be2618c7498f55baa07d7e03184e8aada20bca28888bf7a'],
      ['4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7', '993c6ad11c4c29da9a56f7691fd0ff8d732e49de6250b6c2e80003ff4629a175'],
    ];
    for (const [u, q] of valid) expect(toHex(scalarMultVfy(s, hex(u))), u).toBe(q);
  });

  it('gives different keys for different codes', () => {
    const a = cpaceShare(session);
    const wrong = { ...session, prs: ascii('Passwore') };
    const b = cpaceShare(wrong);
    const t = { ya: a.share, ada: new Uint8Array(), yb: b.share, adb: new Uint8Array() };
    expect(toHex(cpaceIsk(session, a, b.share, t))).not.toBe(toHex(cpaceIsk(wrong, b, a.share, t)));
  });
});
