import { type RemoteInfo, type Socket, createSocket } from 'node:dgram';
import { type Packet, encode } from 'dns-packet';
import makeMdns from 'multicast-dns';
import type { Ipv4Interface } from './ipv4-interfaces';
import { type MdnsQuestion, questionKey } from './mdns-question';
import { recordsOf } from './mdns-records';
import { PeerQueries, knownAnswerKey } from './peer-queries';
import { queryPackets } from './query-packets';
import { QuerySchedule } from './query-schedule';
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
  /** How often the cache is checked for expiry, refresh points and questions to ask, ms. */
  readonly tickMs: number;
  readonly now?: () => number;
  /** UDP port, 5353 but for tests. */
  readonly port?: number;
  /** Counts what goes out, for the benchmark. */
  readonly onSent?: (packet: Buffer) => void;
}

/**
 * SO_RCVBUF asked for. A thousand services answer one browse query with ~200 datagrams of up to 9 kB within a few
 * milliseconds (measured: python-zeroconf, 1,000 instances); Linux's default of 208 kB, charged per datagram at more
 * than its size, holds a dozen, and the rest were dropped (UDP RcvbufErrors) while the event loop decoded the first.
 * The kernel caps the value at net.core.rmem_max.
 */
export const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Our own queries come back to us by multicast loopback; they are not another host's (RFC 6762 §7.3). */
const OWN_ECHO_MS = 2000;

/**
 * Browses one IPv4 interface with its own multicast-dns socket. One socket per interface, each joined to 224.0.0.251
 * on its interface and sending from it (IP_MULTICAST_IF): a single socket on a multi-homed host joins and sends on
 * the default interface only, so nodes on the other links are never asked and never heard. The socket binds to
 * 0.0.0.0 — bound to the interface's unicast address, Linux delivers it no multicast at all.
 */
export class InterfaceBrowser {
  readonly cache: ServiceCache;
  private readonly socket: Socket;
  private readonly mdns: makeMdns.MulticastDNS;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly schedule: QuerySchedule;
  private readonly peers = new PeerQueries();
  /** Encodings of what we sent lately, to tell our own looped-back queries apart. */
  private readonly sentRecently = new Map<string, number>();
  private lastWasOwn = false;
  private stopped = false;

  constructor(private readonly options: InterfaceBrowserOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new ServiceCache(options.serviceName);
    this.schedule = new QuerySchedule({ name: options.serviceName, type: 'PTR' }, { maxIntervalMs: options.maxQueryIntervalMs }, this.now());
    this.socket = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: RECEIVE_BUFFER_BYTES });
    // Registered before multicast-dns's own listener, so it runs first for each datagram.
    // Ours only if it came from this interface's own address as well: another host's query can be byte for byte the
    // same as one of ours (the same question, no known answers yet), and must still count as theirs.
    this.socket.on('message', (message: Buffer, rinfo: RemoteInfo) => {
      const sentAt = this.sentRecently.get(message.toString('base64'));
      this.lastWasOwn = rinfo.address === options.iface.address && sentAt !== undefined && this.now() - sentAt <= OWN_ECHO_MS;
    });
    this.mdns = makeMdns({ socket: this.socket, interface: options.iface.address, bind: '0.0.0.0', port: options.port ?? 5353, reuseAddr: true });
    this.mdns.on('response', (packet, rinfo: RemoteInfo) => this.onResponse(packet, rinfo));
    this.mdns.on('query', (packet, rinfo: RemoteInfo) => this.onQuery(packet, rinfo));
    this.mdns.on('error', (error: Error) => options.onError(error));
    // `warning`s are undecodable packets and membership hiccups on a changing link: nothing to act on.
    this.mdns.on('warning', () => undefined);
    this.timer = setInterval(() => this.tick(), options.tickMs);
  }

  get iface(): Ipv4Interface {
    return this.options.iface;
  }

  private onResponse(packet: Parameters<typeof recordsOf>[0], rinfo: RemoteInfo): void {
    // RFC 6762 §18.5: a response's TC bit means nothing in mDNS; every record in it is used as it is.
    if (this.stopped || !this.options.accepts(rinfo.address)) return;
    const records = recordsOf(packet);
    if (records.length === 0) return;
    const goodbye = records.some((r) => r.ttl === 0);
    if (this.cache.add(records, this.now())) this.options.onChange(goodbye ? 'goodbye' : 'response');
  }

  /** Another host's query: if it asks what we were about to ask, its answers serve us too (RFC 6762 §7.3). */
  private onQuery(packet: Packet, rinfo: RemoteInfo): void {
    if (this.stopped || this.lastWasOwn || !this.options.accepts(rinfo.address)) return;
    const now = this.now();
    const query = this.peers.add(packet, `${rinfo.address}:${rinfo.port}`, now);
    if (!query) return;
    // Their list is compared with ours: the PTRs we would list ourselves now.
    const ours = new Set(this.cache.knownAnswers(now).map(knownAnswerKey));
    for (const question of query.questions) this.schedule.heardQuestion(question, query.knownAnswers, ours, now);
  }

  private send(questions: readonly MdnsQuestion[], now: number): void {
    const browsing = questions.some((q) => q.type === 'PTR' && questionKey(q) === questionKey(this.schedule.browseQuestion));
    for (const packet of queryPackets(questions, browsing ? this.cache.knownAnswers(now) : [])) {
      const bytes = encode(packet);
      this.sentRecently.set(bytes.toString('base64'), now);
      this.options.onSent?.(bytes);
      this.mdns.query(packet);
    }
    for (const [key, at] of this.sentRecently) if (now - at > OWN_ECHO_MS) this.sentRecently.delete(key);
  }

  private tick(): void {
    const now = this.now();
    if (this.cache.expire(now)) this.options.onChange('expired');
    const questions = new Map<string, MdnsQuestion>();
    for (const q of [...this.schedule.due(now, this.cache.unresolved()), ...this.cache.refreshDue(now)]) questions.set(questionKey(q), q);
    if (questions.size > 0) this.send([...questions.values()], now);
  }

  /** Asks again now and restarts the doubling schedule (a user's "refresh", or a new interface address). */
  requery(): void {
    this.schedule.restart(this.now());
  }

  /** Closes the socket; the caller treats every instance of this interface as gone. */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    clearInterval(this.timer);
    return new Promise((resolve) => this.mdns.destroy(() => resolve()));
  }
}
