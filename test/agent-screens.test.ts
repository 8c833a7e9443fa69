import { describe, expect, it } from 'vitest';
import { firstBootPage } from '../image-build/agent/src/first-boot-page';
import { welcomeBanner } from '../image-build/agent/src/welcome-banner';
import type { PairingStatus } from '../shared/fleet/node-api';

/** What a person sees on the node's console and on the first-boot page (plan §8.1 step 4). */

const waiting: PairingStatus = {
  state: 'awaiting_user',
  user_code: 'WDJB-MJHT',
  verification_uri: 'https://portal.example.test/device',
  verification_uri_complete: 'https://portal.example.test/device?user_code=WDJB-MJHT',
  interval: 5,
  expires_in: 600,
};

describe('welcome banner', () => {
  it('names the host, its addresses, the URL and the pairing code in an ASCII box', () => {
    const text = welcomeBanner({ hostname: 'macula-a1b2', addresses: ['192.0.2.10'], port: 443, status: waiting });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\+-+\+$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(text).toContain('https://macula-a1b2.local/');
    expect(text).toContain('https://192.0.2.10/');
    expect(text).toContain('Pairing code: WDJB-MJHT');
    expect(text).toContain('https://portal.example.test/device');
    expect(text).toMatch(/^[\x20-\x7e\n]+$/);
  });

  it('writes the port when it is not 443, and says when there is no network', () => {
    const text = welcomeBanner({ hostname: 'n1', addresses: [], port: 8443, status: { state: 'idle' } });
    expect(text).toContain('https://n1.local:8443/');
    expect(text).toContain('(no network yet)');
    expect(text).not.toContain('Pairing code');
  });
});

describe('first-boot page', () => {
  // Anyone on the LAN reads this page: it says the state in a word and never the code, its link or the organisation.
  it('shows the state while a device flow waits, and neither the code nor a link carrying it, escaped', () => {
    const html = firstBootPage({ hostname: 'macula-<a1b2>', state: waiting.state });
    expect(html).toContain('id="awaiting"');
    expect(html).not.toContain(waiting.user_code);
    expect(html).not.toContain(waiting.user_code.replace('-', ''));
    expect(html).not.toContain('portal.example.test');
    expect(html).not.toMatch(/<svg|<script/i);
    expect(html).toContain('macula-&#60;a1b2&#62;');
    expect(html).not.toContain('<a1b2>');
  });

  it('says paired without naming the organisation or the approver', () => {
    const html = firstBootPage({ hostname: 'n1', state: 'paired' });
    expect(html).toContain('id="paired"');
    expect(html).not.toMatch(/org-|approved by/);
  });
});
