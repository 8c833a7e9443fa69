import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TxtRecord, encodeTxtRecord } from '../shared/fleet/txt-record';
import { FleetInventory } from '../electron/engine/fleet/inventory';
import { avahiAdvertiser } from '../image-build/agent/src/advertiser';
import { NetnsLab, type NsProcess, netnsUnavailable } from './helpers/netns';

/**
 * Real mDNS across network namespaces: simulated nodes (bonjour-service publishers, and avahi-daemon as a peer we
 * did not write) on two bridged LANs, and `macula discover` in the desktop's namespace, joined to both.
 *
 *   lan1 10.77.1.0/24: desktop eth1 .1, node1 eth1 .11, node2 eth1 .12, avahi eth1 .13
 *   lan2 10.77.2.0/24: desktop eth2 .1, node1 eth2 .11        (node1 is multi-homed: seen on both, reported once)
 */

const skip = netnsUnavailable();
if (skip) console.warn(`fleet-discovery-netns: skipped — ${skip}`);
const avahiMissing = (() => {
  try {
    execFileSync('avahi-daemon', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'avahi-daemon not installed';
  }
})();
if (!skip && avahiMissing) console.warn(`fleet-discovery-netns: the avahi peer test is skipped — ${avahiMissing}`);

const TTL = 3;
/** A valid fingerprint (32 bytes, base64url) made of one repeated byte. */
const fp = (c: string): string => Buffer.alloc(32, c).toString('base64url');

function txt(overrides: Partial<TxtRecord> = {}): Array<[string, string]> {
  const record: TxtRecord = { nodeId: 'node-aaaa', state: 'unpaired', fingerprint: fp('A'), osVersion: '0.1.0', arch: 'amd64', meshRoles: [], apiPort: 8443, ...overrides };
  return encodeTxtRecord(record).map((s) => {
    const eq = s.indexOf('=');
    return [s.slice(0, eq), s.slice(eq + 1)];
  });
}

interface NodeEvent {
  event: string;
  reason?: string;
  node: { nodeId: string; interfaces: string[]; addresses: string[]; txt: TxtRecord; name: string };
  verdict?: { kind: string; reasons?: Array<{ code: string }> };
}

describe.skipIf(skip !== undefined)('discovery over real mDNS between network namespaces', () => {
  let lab: NetnsLab;
  let desktop: string;
  let node1: string;
  let node2: string;
  let fleetDir: string;
  let watcher: NsProcess;
  const timings: string[] = [];

  const events = (): NodeEvent[] => watcher.events().filter((e): e is Record<string, unknown> & NodeEvent => typeof e['node'] === 'object');
  const waitEvent = async (match: (e: NodeEvent) => boolean, timeoutMs: number): Promise<NodeEvent> => {
    const line = await watcher.waitFor((l) => l.startsWith('{') && typeof (JSON.parse(l) as { node?: unknown }).node === 'object' && match(JSON.parse(l) as NodeEvent), timeoutMs);
    return JSON.parse(line) as NodeEvent;
  };
  const publish = (ns: string, name: string, addresses: string[], pairs: Array<[string, string]>): NsProcess =>
    lab.spawnNode(ns, 'test/helpers/mdns-publisher.ts', [JSON.stringify({ name, host: `${name}.local`, port: 8443, txt: pairs, ttl: TTL, addresses })]);

  beforeAll(async () => {
    lab = new NetnsLab();
    desktop = lab.addHost('d', [
      { ifname: 'eth1', lan: 'lan1', cidr: '10.77.1.1/24' },
      { ifname: 'eth2', lan: 'lan2', cidr: '10.77.2.1/24' },
    ]);
    node1 = lab.addHost('n1', [
      { ifname: 'eth1', lan: 'lan1', cidr: '10.77.1.11/24' },
      { ifname: 'eth2', lan: 'lan2', cidr: '10.77.2.11/24' },
    ]);
    node2 = lab.addHost('n2', [{ ifname: 'eth1', lan: 'lan1', cidr: '10.77.1.12/24' }]);
    fleetDir = mkdtempSync(join(tmpdir(), 'mcl-fleet-'));
    watcher = lab.spawnNode(desktop, 'electron/cli/macula.ts', ['discover', '--watch', '--json'], { MACULA_FLEET_DIR: fleetDir });
    await watcher.waitFor((l) => l.includes('"watching"'), 20_000);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (fleetDir) rmSync(fleetDir, { recursive: true, force: true });
    if (timings.length) console.log(`fleet-discovery-netns timings:\n  ${timings.join('\n  ')}`);
  });

  it('sees a node come up, follows a TXT change, and drops it at once on its goodbye', async () => {
    const publisher = publish(node2, 'macula-n2', ['10.77.1.12'], txt({ nodeId: 'node-n2n2' }));
    await publisher.waitFor((l) => l === 'ready', 20_000);
    let t = Date.now();
    const up = await waitEvent((e) => e.event === 'up' && e.node.nodeId === 'node-n2n2', 5_000);
    timings.push(`announce → up: ${Date.now() - t} ms`);
    expect(up.node.interfaces).toEqual(['eth1']);
    expect(up.node.addresses).toContain('10.77.1.12');
    expect(up.node.txt.state).toBe('unpaired');

    t = Date.now();
    publisher.write(`txt ${JSON.stringify(txt({ nodeId: 'node-n2n2', state: 'pairing' }))}`);
    const update = await waitEvent((e) => e.event === 'update' && e.node.nodeId === 'node-n2n2' && e.node.txt.state === 'pairing', 5_000);
    timings.push(`TXT change → update: ${Date.now() - t} ms`);
    expect(update.node.name).toBe('macula-n2');

    t = Date.now();
    publisher.write('stop');
    const down = await waitEvent((e) => e.event === 'down' && e.node.nodeId === 'node-n2n2', 2_000);
    timings.push(`goodbye → down: ${Date.now() - t} ms`);
    expect(down.reason).toBe('goodbye');
    // Only lan1 ever heard it: the desktop's eth2 socket also receives lan1's multicast (IP_MULTICAST_ALL), and
    // must not claim it.
    expect(new Set(events().filter((e) => e.node.nodeId === 'node-n2n2').map((e) => e.node.interfaces.join(',')))).toEqual(new Set(['eth1']));
  });

  it('reports a node on two interfaces once, and drops it after its TTL when it is killed without a goodbye', async () => {
    const publisher = publish(node1, 'macula-n1', ['10.77.1.11', '10.77.2.11'], txt({ nodeId: 'node-n1n1' }));
    await publisher.waitFor((l) => l === 'ready', 20_000);
    const both = await waitEvent((e) => e.node.nodeId === 'node-n1n1' && e.node.interfaces.length === 2, 8_000);
    expect(both.node.interfaces).toEqual(['eth1', 'eth2']);
    expect(both.node.addresses).toEqual(expect.arrayContaining(['10.77.1.11', '10.77.2.11']));
    expect(events().filter((e) => e.event === 'up' && e.node.nodeId === 'node-n1n1')).toHaveLength(1);

    // It stays up across several TTLs: the refresh queries at 80–95 % of the TTL keep it (RFC 6762 §5.2).
    await new Promise((r) => setTimeout(r, 2.5 * TTL * 1000));
    expect(events().filter((e) => e.event === 'down' && e.node.nodeId === 'node-n1n1')).toHaveLength(0);

    const t = Date.now();
    await publisher.kill('SIGKILL');
    const down = await waitEvent((e) => e.event === 'down' && e.node.nodeId === 'node-n1n1', 2 * TTL * 1000);
    timings.push(`SIGKILL → down (TTL ${TTL} s): ${Date.now() - t} ms`);
    expect(down.reason).toBe('expired');
  });

  it('reports an advertisement with an invalid TXT record as invalid, and carries on', async () => {
    const bad = txt({ nodeId: 'node-bad1' }).map(([k, v]): [string, string] => (k === 'st' ? [k, 'owned'] : [k, v]));
    const publisher = publish(node2, 'macula-bad', ['10.77.1.12'], bad);
    await publisher.waitFor((l) => l === 'ready', 20_000);
    const line = await watcher.waitFor((l) => l.includes('"invalid"') && l.includes('macula-bad'), 5_000);
    expect(JSON.parse(line)).toMatchObject({ advertisement: { interface: 'eth1', error: { code: 'ERR_TXT_INVALID_VALUE', field: 'st' } } });
    publisher.write('stop');
    await publisher.waitFor((l) => l === 'stopped', 5_000);
    expect(watcher.exited).toBe(false);
  });

  it.skipIf(avahiMissing !== undefined)('discovers a node advertised by avahi-daemon', async () => {
    const ns = lab.addHost('av', [{ ifname: 'eth1', lan: 'lan1', cidr: '10.77.1.13/24' }]);
    const etc = lab.etcDir(ns);
    mkdirSync(join(etc, 'avahi', 'services'), { recursive: true });
    writeFileSync(
      join(etc, 'avahi', 'avahi-daemon.conf'),
      '[server]\nhost-name=macula-avahi\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=eth1\nenable-dbus=no\n[publish]\npublish-workstation=no\n[rlimits]\n',
    );
    const strings = encodeTxtRecord({ nodeId: 'node-avah', state: 'paired', fingerprint: fp('B'), osVersion: '0.2.0', arch: 'arm64', meshRoles: ['relay'], apiPort: 8443 });
    writeFileSync(
      join(etc, 'avahi', 'services', 'macula.service'),
      `<?xml version="1.0" standalone='no'?>\n<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n<service-group>\n  <name>macula-avahi</name>\n  <service>\n    <type>_macula._tcp</type>\n    <port>8443</port>\n${strings.map((s) => `    <txt-record>${s}</txt-record>`).join('\n')}\n  </service>\n</service-group>\n`,
    );
    // `ip netns exec` gives the child its own mount namespace: a private /run/avahi-daemon (pid file, socket).
    const t = Date.now();
    lab.spawn(ns, ['sh', '-c', 'mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon --no-drop-root --no-chroot --no-rlimits']);
    const up = await waitEvent((e) => e.event === 'up' && e.node.nodeId === 'node-avah', 15_000);
    timings.push(`avahi-daemon start → up: ${Date.now() - t} ms`);
    expect(up.node.txt).toMatchObject({ state: 'paired', arch: 'arm64', meshRoles: ['relay'] });
    expect(up.node.addresses).toContain('10.77.1.13');
  });

  it.skipIf(avahiMissing !== undefined)("follows the agent's Avahi service file through state changes made within one second", async () => {
    const ns = lab.addHost('av2', [{ ifname: 'eth1', lan: 'lan1', cidr: '10.77.1.14/24' }]);
    const etc = lab.etcDir(ns);
    const services = join(etc, 'avahi', 'services');
    mkdirSync(services, { recursive: true });
    writeFileSync(
      join(etc, 'avahi', 'avahi-daemon.conf'),
      '[server]\nhost-name=macula-avahi2\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=eth1\nenable-dbus=no\n[publish]\npublish-workstation=no\n[rlimits]\n',
    );
    const strings = (state: TxtRecord['state']): string[] => encodeTxtRecord({ nodeId: 'node-avh2', state, fingerprint: fp('C'), osVersion: '0.1.0', arch: 'amd64', meshRoles: [], apiPort: 443 });
    // The agent's own advertiser, writing into the namespace's /etc/avahi/services (bind-mounted from `etc`).
    const advertiser = avahiAdvertiser(services, 'macula-avahi2', 443);
    await advertiser.update(strings('unpaired'));
    lab.spawn(ns, ['sh', '-c', 'mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon --no-drop-root --no-chroot --no-rlimits']);
    const up = await waitEvent((e) => e.event === 'up' && e.node.nodeId === 'node-avh2', 15_000);
    expect(up.node.txt.state).toBe('unpaired');
    // As on a node whose Portal answers at once: pairing and paired a few milliseconds apart. avahi-daemon notices a
    // changed file by its mtime in whole seconds, so both writes must still be seen.
    await advertiser.update(strings('pairing'));
    await advertiser.update(strings('paired'));
    const t = Date.now();
    const paired = await waitEvent((e) => (e.event === 'up' || e.event === 'update') && e.node.nodeId === 'node-avh2' && e.node.txt.state === 'paired', 8_000);
    timings.push(`Avahi service file rewritten twice → paired: ${Date.now() - t} ms`);
    expect(paired.node.txt.state).toBe('paired');
  });

  it('flags impostors against the inventory in a one-shot `macula discover`', async () => {
    const inventory = FleetInventory.open(fleetDir);
    inventory.addFlashedNode({ node_id: 'node-real', hostname: 'macula-real', image_name: 'maculaos-0.1.0-amd64.iso', image_sha256: 'a'.repeat(64), seeded_at: new Date().toISOString() });
    inventory.pinFingerprint('node-real', fp('R'));
    inventory.close();
    const sameName = publish(node2, 'macula-real', ['10.77.1.12'], txt({ nodeId: 'node-fake' }));
    const sameId = publish(node1, 'macula-other', ['10.77.1.11'], txt({ nodeId: 'node-real', fingerprint: fp('X') }));
    await Promise.all([sameName.waitFor((l) => l === 'ready', 20_000), sameId.waitFor((l) => l === 'ready', 20_000)]);
    const once = lab.spawnNode(desktop, 'electron/cli/macula.ts', ['discover', '--timeout', '3', '--json'], { MACULA_FLEET_DIR: fleetDir });
    await new Promise((r) => once.child.once('exit', r));
    const found = once.events().filter((e) => e['event'] === 'node') as unknown as NodeEvent[];
    const byId = new Map(found.map((e) => [e.node.nodeId, e]));
    expect(byId.get('node-fake')?.verdict).toMatchObject({ kind: 'impostor', reasons: [{ code: 'name-taken' }] });
    expect(byId.get('node-real')?.verdict).toMatchObject({ kind: 'impostor', reasons: [{ code: 'fingerprint-mismatch' }] });
    // Nothing an impostor claimed went into the node's history.
    const after = FleetInventory.open(fleetDir);
    expect(after.history('node-real')).toEqual([]);
    after.close();
  });
});
