import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_MEANINGS } from './exit-codes';

/** README's exit-code line and `macula --help` come from one table: this fails when README drifts from it. */
describe('exit codes', () => {
  it('has a meaning for every code, and README.md says each one word for word', () => {
    expect(Object.keys(EXIT_MEANINGS).map(Number).sort()).toEqual(Object.values(EXIT).sort());
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const line = /^Exit codes[^\n]*(?:\n(?!\n).*)*/m.exec(readme)?.[0].replace(/\s+/g, ' ') ?? '';
    for (const [code, meaning] of Object.entries(EXIT_MEANINGS)) expect(line).toContain(`\`${code}\` ${meaning}`);
  });
});
