import { describe, expect, it } from 'vitest';
import { createLogger } from '../electron/engine/log/logger';
import { REDACTED, isSecretField, redact, redactText } from '../electron/engine/log/redact';

const TOKEN = 'enr_9f8e7d6c5b4a3210';
const KEY = 'a3f1c0ffee0ddba11cafe0123456789abcdef0123456789abcdef0123456789a';

describe('log redaction', () => {
  it('knows secret field names by their words, not by substrings', () => {
    for (const name of ['token', 'enrollment_token', 'enrollmentToken', 'portalToken', 'pairingKey', 'key', 'password', 'passphrase', 'psk', 'x-macula-token', 'Authorization', 'sshKeys'])
      expect(isSecretField(name), name).toBe(true);
    for (const name of ['keyboard', 'monkey', 'hostname', 'tokenizer', 'passhint']) expect(isSecretField(name), name).toBe(false);
  });

  it('replaces secret fields at any depth, whatever their type, and keeps the rest', () => {
    const seed = {
      hostname: 'edge-01',
      keyboard: 'us',
      maculaos: {
        portal: { url: 'https://portal.example', enrollment_token: TOKEN },
        pairing: { node_id: 'n1', key: KEY },
        wifi: [{ ssid: 'lab', psk: 'correct horse battery' }],
        nested: { passphrase: { any: 'shape' }, password: 42 },
      },
    };
    const out = JSON.stringify(redact(seed));
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain('correct horse');
    expect(out).not.toContain('shape');
    expect(out).toContain('edge-01');
    expect(out).toContain('"keyboard":"us"');
    expect(out).toContain('"ssid":"lab"');
    expect((redact(seed) as { maculaos: { pairing: { key: string } } }).maculaos.pairing.key).toBe(REDACTED);
  });

  it('scrubs secrets out of free text: query strings, URL fragments, YAML lines, bearer credentials', () => {
    const text = `GET /api/x?token=${TOKEN}&page=2 #token=${TOKEN} enrollment_token: ${TOKEN} key="${KEY}" Authorization: Bearer ${TOKEN}`;
    const out = redactText(text);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(KEY);
    expect(out).toContain('page=2');
  });

  it('redacts error messages and cuts cycles', () => {
    const err = Object.assign(new Error(`pairing failed with key=${KEY}`), { code: 'ERR_PAIR' });
    const loop: Record<string, unknown> = { a: 1 };
    loop['self'] = loop;
    expect(JSON.stringify(redact({ err, loop }))).not.toContain(KEY);
    expect(redact(loop)).toEqual({ a: 1, self: '[cycle]' });
  });

  it('never writes a secret through the logger, in the message or the fields', () => {
    const lines: string[] = [];
    const log = createLogger({ namespace: 't', level: 'debug', sink: (l) => lines.push(l), now: () => new Date(0) });
    log.info(`POST /api/flash.start?pairingKey=${KEY}`, { request: { seed: { portalToken: TOKEN }, headers: { 'x-macula-token': TOKEN } } });
    log.debug('below', { token: TOKEN });
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(KEY);
    expect(lines[0]).toMatch(/^1970-01-01T00:00:00\.000Z INFO \[t\] POST/);
  });

  it('drops lines under its level', () => {
    const lines: string[] = [];
    const log = createLogger({ namespace: 't', level: 'warn', sink: (l) => lines.push(l) });
    log.info('no');
    log.warn('yes');
    expect(lines).toHaveLength(1);
  });
});
