import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Bonjour, type Browser, type Service } from 'bonjour-service';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../image-build/agent/src/agent';
import { AVAHI_SERVICE_FILE, renderAvahiService } from '../image-build/agent/src/avahi-service';
import { type NodeFixture, makeNodeFixture } from '../image-build/agent/testing/fixtures';
import { openSession, pinnedRequest } from '../image-build/agent/testing/pinned-client';
import { NODE_API } from '../shared/fleet/node-api';
import { type TxtRecord, parseTxtRecord } from '../shared/fleet/txt-record';
import { type PortalContractServer, startPortalContractServer } from './portal/contract-server';

/**
 * The advertisement: a real mDNS browser (bonjour-service, a separate responder instance) on loopback sees the node's
 * `_macula._tcp` TXT record, parsed with the shared parser, change from unpaired to paired; and where Avahi runs, the
 * service file carries the same TXT strings.
 */

let fixture: NodeFixture | undefined;
let agent: RunningAgent | undefined;
let portal: PortalContractServer | undefined;
let browserHost: Bonjour | undefined;

afterEach(async () => {
  await agent?.close();
  await portal?.close();
  await fixture?.cleanup();
  await new Promise<void>((resolve) => (browserHost ? browserHost.destroy(() => resolve()) : resolve()));
  agent = undefined;
  portal = undefined;
  fixture = undefined;
  browserHost = undefined;
});

/** Resolves with the first record for `nodeId` that satisfies `wanted`, re-querying every 500 ms. */
function waitForRecord(browser: Browser, nodeId: string, wanted: (r: TxtRecord, s: Service) => boolean): Promise<TxtRecord> {
  return new Promise((resolve, reject) => {
    const check = (service: Service) => {
      const raw = (service as Service & { rawTxt?: Buffer[] }).rawTxt ?? [];
      try {
        const record = parseTxtRecord(raw.map((b) => b.toString('utf8')));
        if (record.nodeId === nodeId && wanted(record, service)) {
          clearInterval(timer);
          clearTimeout(deadline);
          resolve(record);
        }
      } catch {
        // Another service or a half-seen record: keep listening.
      }
    };
    browser.on('up', check);
    browser.on('txt-update', check);
    const timer = setInterval(() => browser.update(), 500);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error('no matching advertisement within 10 s'));
    }, 10_000);
    for (const s of browser.services) check(s);
  });
}

describe('node agent advertisement', () => {
  it('announces _macula._tcp over mDNS on loopback and re-announces st=paired after pairing', async () => {
    portal = await startPortalContractServer();
    const token = portal.addEnrollmentToken();
    fixture = await makeNodeFixture({ enrollmentToken: token });
    agent = await startAgent({
      seed: fixture.seedPath,
      stateDir: fixture.stateDir,
      host: '127.0.0.1',
      port: 0,
      mdns: { interface: '127.0.0.1' },
      osVersion: '0.1.0',
      portalUrl: portal.origin,
      allowInsecurePortal: true,
    });
    // bind 0.0.0.0 + interface: see ../shared/ARCHITECTURE.md (bound to an address, multicast never arrives).
    browserHost = new Bonjour({ interface: '127.0.0.1', bind: '0.0.0.0' } as unknown as ConstructorParameters<typeof Bonjour>[0]);
    const browser = browserHost.find({ type: 'macula', protocol: 'tcp' });

    let seen: Service | undefined;
    const before = await waitForRecord(browser, fixture.nodeId, (_r, s) => ((seen = s), true));
    // SRV: the agent's port on `<hostname>.local`.
    expect(seen).toMatchObject({ name: 'macula-test-01', port: agent.port, host: 'macula-test-01.local' });
    expect(before).toMatchObject({ state: 'unpaired', fingerprint: agent.fingerprint, apiPort: agent.port, osVersion: '0.1.0', meshRoles: ['relay'] });

    const target = { host: '127.0.0.1', port: agent.port, pin: agent.fingerprint };
    const session = await openSession(target, fixture.keyBytes);
    await pinnedRequest(target, 'POST', NODE_API.pairingStart.path, { token: session, body: {} });
    const after = await waitForRecord(browser, fixture.nodeId, (r) => r.state === 'paired');
    expect(after.fingerprint).toBe(agent.fingerprint);
  });

  it('writes an Avahi service file with the same TXT, rewritten after pairing', async () => {
    portal = await startPortalContractServer();
    const token = portal.addEnrollmentToken();
    fixture = await makeNodeFixture({ enrollmentToken: token });
    const avahiDir = fixture.dir;
    agent = await startAgent({
      seed: fixture.seedPath,
      stateDir: fixture.stateDir,
      host: '127.0.0.1',
      port: 0,
      mdns: { avahiServicesDir: avahiDir },
      osVersion: '0.1.0',
      portalUrl: portal.origin,
      allowInsecurePortal: true,
    });
    const file = join(avahiDir, AVAHI_SERVICE_FILE);
    const txtOf = async () => [...(await readFile(file, 'utf8')).matchAll(/<txt-record>([^<]*)<\/txt-record>/g)].map((m) => m[1] ?? '');
    expect(await txtOf()).toEqual(agent.txt);
    expect(parseTxtRecord(await txtOf()).state).toBe('unpaired');

    const target = { host: '127.0.0.1', port: agent.port, pin: agent.fingerprint };
    const session = await openSession(target, fixture.keyBytes);
    await pinnedRequest(target, 'POST', NODE_API.pairingStart.path, { token: session, body: {} });
    const deadline = Date.now() + 5000;
    while (parseTxtRecord(await txtOf()).state !== 'paired') {
      if (Date.now() > deadline) throw new Error('service file never said paired');
      await new Promise((r) => setTimeout(r, 50));
    }
    await agent.close();
    agent = undefined;
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('renders the Avahi service file: type, port, TXT strings in order, XML escaped', () => {
    const xml = renderAvahiService('node <&> "one"', 8443, ['txtvers=1', 'id=abc-1', 'roles=']);
    expect(xml).toContain('<type>_macula._tcp</type>');
    expect(xml).toContain('<port>8443</port>');
    expect(xml).toContain('<name>node &#60;&#38;&#62; &#34;one&#34;</name>');
    const records = [...xml.matchAll(/<txt-record>([^<]*)<\/txt-record>/g)].map((m) => m[1]);
    expect(records).toEqual(['txtvers=1', 'id=abc-1', 'roles=']);
    expect(xml.startsWith('<?xml')).toBe(true);
    expect(xml).toContain('<!DOCTYPE service-group SYSTEM "avahi-service.dtd">');
  });
});
