import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { OpenLines, SealLines, type SealedDirection } from './sealed-lines';

/** The writer protocol sealed over a relay, attacked line by line as a process holding the pipe would. */
const key = randomBytes(32).toString('hex');
const SECRET = 'wifi-passphrase-correct-horse';

async function seal(lines: readonly string[], direction: SealedDirection = 'request', k = key): Promise<string[]> {
  const out = await text(Readable.from(lines.map((l) => `${l}\n`)).pipe(new SealLines(k, direction)));
  return out.split('\n').filter(Boolean);
}

async function open(sealed: readonly string[], direction: SealedDirection = 'request', k = key): Promise<{ lines: string[]; refused?: string }> {
  const opener = new OpenLines(k, direction);
  const out = await text(Readable.from(sealed.map((l) => `${l}\n`)).pipe(opener));
  return { lines: out.split('\n').filter(Boolean), ...(opener.refused ? { refused: opener.refused.message } : {}) };
}

describe('sealed writer-protocol lines', () => {
  const request = JSON.stringify({ kind: 'write', seeds: [`wifi:\n  passphrase: ${SECRET}\n`] });

  it('carries lines both ways unchanged, and shows a reader of the pipe none of their bytes', async () => {
    const sealed = await seal([request, '{"kind":"cancel"}']);
    expect(sealed.join('\n')).not.toMatch(/passphrase|write|cancel|kind/);
    expect(await open(sealed)).toEqual({ lines: [request, '{"kind":"cancel"}'] });
  });

  it('refuses a forged line, a flipped bit, a replay, a reordering and a line sealed the other way', async () => {
    const [first = '', second = ''] = await seal([request, '{"kind":"cancel"}']);
    expect((await open(['{"kind":"result","targets":[]}'])).refused).toMatch(/line 0/);
    const bytes = Buffer.from(first, 'base64');
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    expect((await open([bytes.toString('base64')])).refused).toMatch(/failed authentication/);
    expect(await open([first, first])).toMatchObject({ lines: [request], refused: expect.stringMatching(/line 1/) });
    expect((await open([second, first])).refused).toMatch(/line 0/);
    expect((await open(await seal([request], 'event'))).refused).toMatch(/failed authentication/);
    expect((await open(await seal([request], 'request', randomBytes(32).toString('hex')))).refused).toMatch(/failed authentication/);
  });

  it('stops at the first bad line: nothing after it comes through', async () => {
    const [a = '', b = '', c = ''] = await seal(['one', 'two', 'three']);
    expect(await open([a, 'AAAA', b, c])).toMatchObject({ lines: ['one'], refused: expect.stringMatching(/line 1 is not sealed/) });
  });
});
