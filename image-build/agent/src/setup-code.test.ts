import { describe, expect, it } from 'vitest';
import { ADOPT_LOCK_SECONDS, SETUP_CODE_TTL_SECONDS } from '../../../shared/fleet/adopt-api';
import { formatSetupCode, normalizeSetupCode } from '../../../shared/fleet/setup-code';
import { type SetupCodeState, SetupCodeKeeper } from './setup-code';

/** The setup code's life on the node, on a clock the test turns. */

function keeper(): { keeper: SetupCodeKeeper; advance: (ms: number) => void; changes: SetupCodeState[] } {
  let now = 1_000_000;
  const k = new SetupCodeKeeper({ now: () => now });
  const changes: SetupCodeState[] = [];
  k.on('change', (s) => changes.push(s));
  return { keeper: k, advance: (ms) => void (now += ms), changes };
}

const codeOf = (s: SetupCodeState): string => (s.kind === 'open' ? s.code : `(${s.kind})`);

describe('setup code', () => {
  it('expires after SETUP_CODE_TTL_SECONDS and is replaced by a fresh one, announced for the console', () => {
    const { keeper: k, advance, changes } = keeper();
    const first = codeOf(k.current());
    advance(SETUP_CODE_TTL_SECONDS * 1000 - 1);
    expect(codeOf(k.current())).toBe(first);
    advance(1);
    const second = codeOf(k.current());
    expect(second).not.toBe(first);
    expect(changes.map(codeOf)).toEqual([second]);
  });

  it('locks after five wrong codes for ADOPT_LOCK_SECONDS, then shows a new code with a fresh count', () => {
    const { keeper: k, advance } = keeper();
    const first = codeOf(k.current());
    for (let i = 0; i < 4; i++) expect(k.wrongCode().kind).toBe('open');
    expect(k.wrongCode()).toMatchObject({ kind: 'locked' });
    advance(ADOPT_LOCK_SECONDS * 1000 - 1);
    expect(k.current().kind).toBe('locked');
    advance(1);
    const after = k.current();
    expect(after).toMatchObject({ kind: 'open', wrong: 0 });
    expect(codeOf(after)).not.toBe(first);
  });

  it('ends for good once the node is adopted', () => {
    const { keeper: k, advance } = keeper();
    k.close();
    advance(ADOPT_LOCK_SECONDS * 1000 * 10);
    expect(k.current().kind).toBe('closed');
    expect(k.wrongCode().kind).toBe('closed');
  });

  it('is typed back forgivingly but strictly: case, dashes, O/0 and I/L/1; nothing else', () => {
    expect(formatSetupCode('ABCDE12345')).toBe('ABCDE-12345');
    expect(normalizeSetupCode('abcde-12345')).toBe('ABCDE12345');
    expect(normalizeSetupCode(' 0ILo1 - 23456 ')).toBe('01101' + '23456');
    expect(normalizeSetupCode('ABCDE1234')).toBeUndefined();
    expect(normalizeSetupCode('ABCDE1234U')).toBeUndefined();
  });
});
