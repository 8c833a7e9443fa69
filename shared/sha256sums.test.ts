import { describe, expect, it } from 'vitest';
import { MaculaError, type MaculaErrorCode } from './errors';
import { lookupSha256, parseSha256Sums } from './sha256sums';

const A = 'a'.repeat(64);
const B = '0123456789abcdef'.repeat(4);

function codeOf(fn: () => unknown): { code: MaculaErrorCode; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof MaculaError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a MaculaError');
}

describe('parseSha256Sums', () => {
  it('reads text-mode and binary-mode GNU lines, ignoring blank lines', () => {
    const sums = parseSha256Sums(`${A}  macula.iso\n\n${B} *macula.img.xz\n`);
    expect(sums.entries.map((e) => [e.name, e.sha256, e.line])).toEqual([
      ['macula.iso', A, 1],
      ['macula.img.xz', B, 3],
    ]);
  });

  it('keeps spaces inside names and a leading space after the mode character', () => {
    const sums = parseSha256Sums(`${A}  my image.iso\n${B}   lead.iso\n`);
    expect(sums.entries.map((e) => e.name)).toEqual(['my image.iso', ' lead.iso']);
  });

  it('lower-cases upper-case hex', () => {
    expect(parseSha256Sums(`${B.toUpperCase()}  x.iso`).entries[0]?.sha256).toBe(B);
  });

  it('reads the BSD / --tag form, including ")" inside a name', () => {
    const sums = parseSha256Sums(`SHA256 (x.iso) = ${A}\nSHA256 (a (1).iso) = ${B}\n`);
    expect(sums.entries.map((e) => [e.name, e.sha256])).toEqual([
      ['x.iso', A],
      ['a (1).iso', B],
    ]);
  });

  it('unescapes names of lines led by a backslash, in both forms', () => {
    const sums = parseSha256Sums(`\\${A}  a\\\\b\\nc\\rd\n\\SHA256 (e\\\\f) = ${B}\n`);
    expect(sums.entries.map((e) => e.name)).toEqual(['a\\b\nc\rd', 'e\\f']);
  });

  it('keeps backslashes literally in lines that are not escaped', () => {
    expect(parseSha256Sums(`${A}  dir\\x.iso`).entries[0]?.name).toBe('dir\\x.iso');
  });

  it('accepts CRLF line ends', () => {
    expect(parseSha256Sums(`${A}  x.iso\r\n${B}  y.iso\r\n`).entries.map((e) => e.name)).toEqual(['x.iso', 'y.iso']);
  });

  it('accepts the same name twice with the same hash', () => {
    expect(parseSha256Sums(`${A}  x.iso\n${A}  x.iso\n`).entries).toHaveLength(1);
  });

  it.each([
    ['a short hash', `${A.slice(1)}  x.iso`, 1],
    ['a long hash', `${A}0  x.iso`, 1],
    ['a non-hex digit', `${'g'.repeat(64)}  x.iso`, 1],
    ['a single space before the name', `${A} x.iso`, 1],
    ['a missing name', `${A}  `, 1],
    ['a tab separator', `${A}\t\tx.iso`, 1],
    ['another algorithm in tag form', `SHA512 (x.iso) = ${A}`, 1],
    ['an invalid escape', `\\${A}  a\\tb`, 1],
    ['a trailing lone backslash', `\\${A}  ab\\`, 1],
    ['garbage after good lines', `${A}  x.iso\n\nnot a checksum\n`, 3],
  ])('rejects %s with the line number', (_what, text, line) => {
    const err = codeOf(() => parseSha256Sums(text));
    expect(err.code).toBe('ERR_SUMS_MALFORMED');
    expect(err.message).toContain(`line ${line}:`);
  });

  it('rejects a duplicate name with a different hash, naming both lines', () => {
    const err = codeOf(() => parseSha256Sums(`${A}  x.iso\n${B}  y.iso\n${B}  x.iso\n`));
    expect(err.code).toBe('ERR_SUMS_MALFORMED');
    expect(err.message).toMatch(/line 3:.*"x\.iso".*line 1/);
  });

  it('rejects a file without checksum lines', () => {
    expect(codeOf(() => parseSha256Sums('\n\n')).code).toBe('ERR_SUMS_MALFORMED');
  });
});

describe('lookupSha256', () => {
  const sums = parseSha256Sums(`${A}  ./macula.iso\n${B}  evil-macula.iso\n${B}  x.iso\n${A}  builds/x.iso\n${B}  a/dup.iso\n${A}  b/dup.iso\n`);

  it('prefers the exact name over a base-name match', () => {
    expect(lookupSha256(sums, 'x.iso').sha256).toBe(B);
    expect(lookupSha256(sums, 'builds/x.iso').sha256).toBe(A);
  });

  it('falls back to the base name for ./ and directory prefixes', () => {
    expect(lookupSha256(sums, 'macula.iso')).toMatchObject({ name: './macula.iso', sha256: A });
    expect(lookupSha256(sums, 'downloads/macula.iso').sha256).toBe(A);
  });

  it('throws ERR_SUMS_NO_ENTRY naming an absent file', () => {
    const err = codeOf(() => lookupSha256(sums, 'other.iso'));
    expect(err).toEqual({ code: 'ERR_SUMS_NO_ENTRY', message: expect.stringContaining('"other.iso"') });
  });

  it('does not match a name that only shares a suffix', () => {
    expect(codeOf(() => lookupSha256(sums, 'cmacula.iso')).code).toBe('ERR_SUMS_NO_ENTRY');
  });

  it('refuses to guess between base-name matches with different hashes', () => {
    expect(codeOf(() => lookupSha256(sums, 'dup.iso')).code).toBe('ERR_SUMS_NO_ENTRY');
  });
});
