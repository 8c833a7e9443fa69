import { describe, expect, it } from 'vitest';
import { encodeTxtRecord } from '../shared/fleet/txt-record';
import { inSubnet, listIpv4Interfaces } from '../electron/engine/fleet/ipv4-interfaces';
import { type MdnsRecord, recordsOf } from '../electron/engine/fleet/mdns-records';
import { mergeSightings } from '../electron/engine/fleet/merge-sightings';
import { ServiceCache } from '../electron/engine/fleet/service-cache';

const SERVICE = '_macula._tcp.local';
const FP = Buffer.alloc(32, 1).toString('base64url');
const TXT = encodeTxtRecord({ nodeId: 'node-a1b2', state: 'unpaired', fingerprint: FP, osVersion: '0.1.0', arch: 'amd64', meshRoles: [], apiPort: 8443 });

function announce(ttl: number, txt: readonly string[] = TXT, instance = 'macula-a1b2'): MdnsRecord[] {
  const fqdn = `${instance}.${SERVICE}`;
  return [
    { type: 'PTR', name: SERVICE, ttl, target: fqdn.toLowerCase(), rawTarget: fqdn },
    { type: 'SRV', name: fqdn.toLowerCase(), ttl, host: `${instance}.local`, port: 8443 },
    { type: 'TXT', name: fqdn.toLowerCase(), ttl, strings: txt },
    { type: 'A', name: `${instance}.local`, ttl, address: '10.0.0.5' },
    { type: 'AAAA', name: `${instance}.local`, ttl, address: 'fe80::1' },
  ];
}

describe('mDNS service cache (RFC 6762 §10)', () => {
  it('resolves an instance from PTR + SRV + TXT + A/AAAA, with IPv6 addresses kept', () => {
    const cache = new ServiceCache(SERVICE);
    expect(cache.add(announce(10), 0)).toBe(true);
    expect([...cache.instances().values()]).toEqual([
      { fqdn: `macula-a1b2.${SERVICE}`, instanceName: 'macula-a1b2', host: 'macula-a1b2.local', port: 8443, txt: TXT, addresses: ['10.0.0.5', 'fe80::1'] },
    ]);
    expect(cache.add(announce(10), 1000)).toBe(false); // the same records again change nothing
  });

  it('needs every record: a PTR alone is not an instance', () => {
    const cache = new ServiceCache(SERVICE);
    cache.add(announce(10).slice(0, 1), 0);
    expect(cache.instances().size).toBe(0);
  });

  it('expires records at their TTL, and a fresh copy restarts the clock', () => {
    const cache = new ServiceCache(SERVICE);
    cache.add(announce(10), 0);
    cache.add(announce(10), 6000);
    expect(cache.expire(15_999)).toBe(false);
    expect(cache.instances().size).toBe(1);
    expect(cache.expire(16_000)).toBe(true);
    expect(cache.instances().size).toBe(0);
  });

  it('removes records on a goodbye (TTL 0) at once', () => {
    const cache = new ServiceCache(SERVICE);
    cache.add(announce(10), 0);
    expect(cache.add(announce(0), 100)).toBe(true);
    expect(cache.instances().size).toBe(0);
  });

  it('asks again at 80, 85, 90 and 95 % of a TTL, once each (RFC 6762 §5.2)', () => {
    // Without the 2 % jitter (random() = 0), so the points fall exactly on the percentages.
    const cache = new ServiceCache(SERVICE, () => 0);
    cache.add(announce(100), 0);
    const due = [50_000, 80_000, 80_500, 85_000, 90_000, 95_000, 96_000].map((t) => cache.refreshDue(t).length > 0);
    expect(due).toEqual([false, true, false, true, true, true, false]);
  });

  it('replaces the TXT record when a new one comes', () => {
    const cache = new ServiceCache(SERVICE);
    cache.add(announce(10), 0);
    const paired = TXT.map((s) => (s === 'st=unpaired' ? 'st=paired' : s));
    expect(cache.add(announce(10, paired), 10)).toBe(true);
    expect([...cache.instances().values()][0]?.txt).toEqual(paired);
  });
});

describe('merging interfaces by node id', () => {
  const instance = (txt: readonly string[], address: string) => ({ fqdn: 'x', instanceName: 'macula-a1b2', host: 'macula-a1b2.local', port: 8443, txt, addresses: [address] });

  it('reports a node heard on two interfaces once, with both interfaces and addresses', () => {
    const { nodes, invalid } = mergeSightings([{ iface: 'eth1', instances: [instance(TXT, '10.0.1.5')] }, { iface: 'eth0', instances: [instance(TXT, '10.0.0.5')] }], new Map());
    expect(invalid).toEqual([]);
    expect([...nodes.values()]).toEqual([expect.objectContaining({ key: `node-a1b2/${FP}`, interfaces: ['eth0', 'eth1'], addresses: ['10.0.0.5', '10.0.1.5'] })]);
  });

  it('keeps an advertisement of the same id with another fingerprint apart, and reports a bad TXT as invalid', () => {
    const other = TXT.map((s) => (s.startsWith('fp=') ? `fp=${Buffer.alloc(32, 9).toString('base64url')}` : s));
    const { nodes, invalid } = mergeSightings([{ iface: 'eth0', instances: [instance(TXT, '10.0.0.5'), instance(other, '10.0.0.6'), instance(['txtvers=1', 'id=x', 'id=y'], '10.0.0.7')] }], new Map());
    expect(nodes.size).toBe(2);
    expect(invalid).toEqual([expect.objectContaining({ interface: 'eth0', error: expect.objectContaining({ code: 'ERR_TXT_DUPLICATE_KEY' }) })]);
  });
});

describe('packets and interfaces', () => {
  it('drops malformed records from a packet instead of trusting them', () => {
    const records = recordsOf({
      answers: [
        { type: 'SRV', name: 'a._macula._tcp.local', ttl: 120, data: { target: 'a.local', port: 0 } },
        { type: 'TXT', name: 'a._macula._tcp.local', ttl: -1, data: [Buffer.from('txtvers=1')] },
        { type: 'PTR', name: '_macula._tcp.local.', ttl: 120, data: 'A._macula._tcp.local' },
      ],
      additionals: [{ type: 'TXT', name: 'A._MACULA._tcp.local', ttl: 120, data: [Buffer.from('txtvers=1'), Buffer.from('id=x')] }],
    });
    expect(records).toEqual([
      { type: 'PTR', name: '_macula._tcp.local', ttl: 120, target: 'a._macula._tcp.local', rawTarget: 'A._macula._tcp.local' },
      { type: 'TXT', name: 'a._macula._tcp.local', ttl: 120, strings: ['txtvers=1', 'id=x'] },
    ]);
  });

  it('lists the first IPv4 address of each non-loopback interface, and tells subnets apart', () => {
    const ifaces = listIpv4Interfaces({
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
      eth0: [
        { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
        { address: '10.77.1.1', netmask: '255.255.255.0', family: 'IPv4', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: '10.77.1.1/24' },
      ],
    });
    expect(ifaces).toEqual([{ name: 'eth0', address: '10.77.1.1', prefix: 24 }]);
    const eth0 = ifaces[0]!;
    expect([inSubnet(eth0, '10.77.1.200'), inSubnet(eth0, '10.77.2.1'), inSubnet(eth0, 'fe80::1'), inSubnet(eth0, '10.77.1')]).toEqual([true, false, false, false]);
  });
});
