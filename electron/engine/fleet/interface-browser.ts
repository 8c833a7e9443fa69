import type { RemoteInfo } from 'node:dgram';
import makeMdns from 'multicast-dns';
import type { Ipv4Interface } from './ipv4-interfaces';
import { recordsOf } from './mdns-records';
import { ServiceCache } from './service-cache';

/** Why an interface's view of the service changed: drives the `reason` of a `down` event. */
export type ChangeCause = 'response' | 'goodbye' | 'expired' | 'stopped';

export interface InterfaceBrowserOptions {
  readonly iface: Ipv4Interface;
  /** Normalized service name, `_macula._tcp.local`. */
  readonly serviceName: string;
  /** Whether a response from this source address belongs to this interface (see discovery.ts for why). */
  readonly accepts: (source: string) => boolean;
  readonly onChange: (cause: ChangeCause) => void;
  readonly onError: (error: Error) => void;
  /** Cap of the doubling interval between continuous queries, ms. */
  readonly maxQueryIntervalMs: number;
  /** How often the cache is checked for expiry and refresh points, ms. */
  readonly tickMs: number;
  readonly now?: () => number;
  /** UDP port, 5353 but for tests. */
  readonly port?: number;
}

/** RFC 6762 §5.2: successive continuous queries are at least one second apart, then doubling. */
const FIRST_QUERY_INTERVAL_MS = 1000;

/**
 * Browses one IPv4 interface with its own multicast-dns socket. One socket per interface, each joined to 224.0.0.251
 * on its interface and sending from it (IP_MULTICAST_IF): a single socket on a multi-homed host joins and sends on
 * the default interface only, so nodes on the other links are never asked and never heard. The socket binds to
 * 0.0.0.0 — bound to the interface's unicast address, Linux delivers it no multicast at all.
 */
export class InterfaceBrowser {
  readonly cache: ServiceCache;
  private readonly mdns: makeMdns.MulticastDNS;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private queryInterval = FIRST_QUERY_INTERVAL_MS;
  private nextQueryAt: number;
  private stopped = false;

  constructor(private readonly options: InterfaceBrowserOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new ServiceCache(options.serviceName);
    this.mdns = makeMdns({ interface: options.iface.address, bind: '0.0.0.0', port: options.port ?? 5353, reuseAddr: true });
    this.mdns.on('response', (packet, rinfo: RemoteInfo) => this.onResponse(packet, rinfo));
    this.mdns.on('error', (error: Error) => options.onError(error));
    // `warning`s are undecodable packets and membership hiccups on a changing link: nothing to act on.
    this.mdns.on('warning', () => undefined);
    // RFC 6762 §5.2: the first query after a random 20–120 ms, so hosts starting together do not collide.
    this.nextQueryAt = this.now() + 20 + Math.random() * 100;
    this.timer = setInterval(() => this.tick(), options.tickMs);
  }

  get iface(): Ipv4Interface {
    return this.options.iface;
  }

  private onResponse(packet: Parameters<typeof recordsOf>[0], rinfo: RemoteInfo): void {
    if (this.stopped || !this.options.accepts(rinfo.address)) return;
    const records = recordsOf(packet);
    if (records.length === 0) return;
    const goodbye = records.some((r) => r.ttl === 0);
    if (this.cache.add(records, this.now())) this.options.onChange(goodbye ? 'goodbye' : 'response');
  }

  private query(): void {
    this.mdns.query({ questions: [{ name: this.options.serviceName, type: 'PTR' }] });
  }

  private tick(): void {
    const now = this.now();
    if (this.cache.expire(now)) this.options.onChange('expired');
    if (now >= this.nextQueryAt) {
      this.query();
      this.nextQueryAt = now + this.queryInterval;
      this.queryInterval = Math.min(this.queryInterval * 2, this.options.maxQueryIntervalMs);
    } else if (this.cache.refreshDue(now)) this.query();
  }

  /** Asks again now and restarts the doubling schedule (a user's "refresh", or a new interface address). */
  requery(): void {
    this.queryInterval = FIRST_QUERY_INTERVAL_MS;
    this.nextQueryAt = this.now();
  }

  /** Closes the socket; the caller treats every instance of this interface as gone. */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    clearInterval(this.timer);
    return new Promise((resolve) => this.mdns.destroy(() => resolve()));
  }
}
