import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { issueText, startConsoleBanner } from '../image-build/agent/src/console-banner';
import { firstBootPage } from '../image-build/agent/src/first-boot-page';
import { type BannerFacts, consoleBanner, visibleWidth, welcomeBanner } from '../image-build/agent/src/welcome-banner';
import type { PairingStatus } from '../shared/fleet/node-api';
import { showsQrOf, stripAnsi } from './helpers/terminal-qr';

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

describe('console banner with a QR code (issue 14 item 5)', () => {
  const facts = (addresses: string[], status: PairingStatus = { state: 'idle' }): BannerFacts => ({ hostname: 'macula-0f1e2d3c', addresses, port: 443, status });

  it('puts the QR code of the page at the first address beside the text, within 80 columns and a VGA screen', async () => {
    const text = await consoleBanner(facts(['192.0.2.10', '198.51.100.7']));
    const lines = text.split('\n');
    expect(Math.max(...lines.map(visibleWidth))).toBeLessThanOrEqual(80);
    // Room left on a 25-row screen for /etc/issue's line and the login prompt.
    expect(lines.length).toBeLessThanOrEqual(20);
    const plain = stripAnsi(text);
    expect(plain).toContain('Welcome to MaculaOS');
    expect(plain).toContain('https://macula-0f1e2d3c.local/');
    expect(plain).toContain('https://198.51.100.7/');
    expect(showsQrOf(text, 'https://192.0.2.10/')).toBe(true);
    expect(showsQrOf(text, 'https://198.51.100.7/')).toBe(false);
    // Colours by ANSI SGR only (the VT and serial terminals both know them), text otherwise ASCII or half blocks.
    expect(plain).toMatch(/^[\x20-\x7e\n▀▄█]+$/);
  });

  it('encodes the Portal link while a device code waits, and the .local page without any address', async () => {
    const waitingFor = await consoleBanner(facts(['192.0.2.10'], waiting));
    expect(showsQrOf(waitingFor, 'https://portal.example.test/device?user_code=WDJB-MJHT')).toBe(true);
    expect(stripAnsi(waitingFor)).toContain('Pairing code: WDJB-MJHT');
    const offline = await consoleBanner(facts([]));
    expect(showsQrOf(offline, 'https://macula-0f1e2d3c.local/')).toBe(true);
    expect(stripAnsi(offline)).toContain('(no network yet)');
  });

  it('says what pairing at boot waits for, wrapping long messages inside the box', () => {
    const retry: PairingStatus = { state: 'waiting', waiting_for: 'retry', message: 'the Portal at https://portal.example.test did not answer: connect ECONNREFUSED 192.0.2.1:443; trying again in 40 s', retry_in: 40 };
    const box = welcomeBanner(facts(['192.0.2.10'], retry));
    expect(new Set(box.split('\n').map((l) => l.length)).size).toBe(1);
    const words = box.split('\n').map((l) => l.slice(2, -2).trim()).filter(Boolean).join(' ');
    expect(words).toContain('connect ECONNREFUSED 192.0.2.1:443; trying again in 40 s');
    expect(welcomeBanner(facts([], { state: 'waiting', waiting_for: 'clock', message: 'x' }))).toContain('Pairing waits for the clock to be set (NTP).');
    expect(welcomeBanner(facts([], { state: 'waiting', waiting_for: 'network', message: 'x' }))).toContain('Pairing waits for a network address.');
  });

  it('doubles backslashes for agetty, which reads them as escapes', () => {
    expect(issueText('a\\n b')).toBe('a\\\\n b\n\n');
  });

  it('rewrites the issue file and has agetty reload when the addresses change, and only then', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'macula-issue-'));
    const issuePath = join(dir, 'run', 'welcome.issue');
    let addresses = ['192.0.2.10'];
    let reloads = 0;
    const banner = startConsoleBanner({ issuePath, facts: (a) => facts([...a]), addresses: () => addresses, reload: async () => void reloads++, pollMs: 20 });
    try {
      await banner.refresh();
      const first = await readFile(issuePath, 'utf8');
      expect(showsQrOf(first, 'https://192.0.2.10/')).toBe(true);
      expect(reloads).toBe(1);
      await banner.refresh();
      expect(reloads).toBe(1);
      // DHCP hands out another address: the banner follows within a poll, without a pairing change.
      addresses = ['203.0.113.5'];
      await expect.poll(() => reloads, { timeout: 2_000 }).toBe(2);
      const second = await readFile(issuePath, 'utf8');
      expect(stripAnsi(second)).toContain('https://203.0.113.5/');
      expect(stripAnsi(second)).not.toContain('192.0.2.10');
      expect(showsQrOf(second, 'https://203.0.113.5/')).toBe(true);
    } finally {
      banner.close();
      await rm(dir, { recursive: true, force: true });
    }
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
