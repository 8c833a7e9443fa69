import { EventEmitter } from 'node:events';
import { MACULA_SERVICE_TYPE } from '../../../shared/fleet/txt-record';
import type { DiscoveredNode, DiscoveryEvents, DownReason } from './discovery-events';
import { type ChangeCause, InterfaceBrowser } from './interface-browser';
import { type Ipv4Interface, inSubnet, listIpv4Interfaces } from './ipv4-interfaces';
import { normalizeName } from './mdns-records';
import { mergeSightings } from './merge-sightings';

export type { DiscoveredNode, DiscoveryEvents, DownReason, InvalidAdvertisement } from './discovery-events';

export interface DiscoveryOptions {
  /** The interfaces to browse on; re-read every `rescanMs` so links that come and go are followed. */
  readonly interfaces?: () => Ipv4Interface[];
  readonly rescanMs?: number;
  readonly tickMs?: number;
  readonly maxQueryIntervalMs?: number;
  /** UDP port, 5353 but for tests. */
  readonly port?: number;
  /** How long changes are gathered before the node list is recomputed and events go out, ms. */
  readonly batchMs?: number;
  /** Every query packet sent, for the benchmark's bytes on the wire. */
  readonly onSent?: (packet: Buffer) => void;
}

/**
 * A response burst from a thousand nodes is ~200 datagrams within a few hundred ms; folding every interface's cache
 * into the node list after each one costs O(nodes) per datagram. Changes in this window are folded once.
 */
const DEFAULT_BATCH_MS = 50;

/** When changes of several causes are folded together, the one that names a `down` best. */
const CAUSE_RANK: Record<ChangeCause, number> = { response: 0, expired: 1, goodbye: 2, stopped: 3 };

function downReason(cause: ChangeCause): DownReason {
  switch (cause) {
    case 'goodbye':
      return 'goodbye';
    case 'expired':
      return 'expired';
    case 'stopped':
      return 'stopped';
    case 'response':
      return 'replaced';
  }
}

const ifaceKey = (iface: Ipv4Interface): string => `${iface.name}|${iface.address}/${iface.prefix}`;

/**
 * Discovers MaculaOS nodes (`_macula._tcp`, RFC 6763) on every IPv4 interface and reports them as typed events:
 * `up` when a node with a valid TXT record appears, `update` when its record, addresses or interfaces change,
 * `down` on a goodbye or when its records' TTL runs out (a crashed node), `invalid` for a record the protocol refuses.
 */
export class FleetDiscovery extends EventEmitter<DiscoveryEvents> {
  private readonly browsers = new Map<string, InterfaceBrowser>();
  private readonly serviceName = normalizeName(`${MACULA_SERVICE_TYPE}.local`);
  private current = new Map<string, DiscoveredNode>();
  /** Invalid advertisements already reported, so one is reported once, not on every re-announcement. */
  private reportedInvalid = new Set<string>();
  private rescanTimer: NodeJS.Timeout | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private batchCause: ChangeCause | undefined;

  constructor(private readonly options: DiscoveryOptions = {}) {
    super();
  }

  /** The nodes heard now. */
  nodes(): DiscoveredNode[] {
    return [...this.current.values()];
  }

  start(): void {
    if (this.rescanTimer) return;
    this.rescan();
    this.rescanTimer = setInterval(() => this.rescan(), this.options.rescanMs ?? 5000);
  }

  /** Asks every interface again now. */
  requery(): void {
    for (const browser of this.browsers.values()) browser.requery();
  }

  async stop(): Promise<void> {
    clearInterval(this.rescanTimer);
    this.rescanTimer = undefined;
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.batchCause = undefined;
    const all = [...this.browsers.values()];
    this.browsers.clear();
    await Promise.all(all.map((b) => b.stop()));
    this.recompute('stopped');
  }

  /**
   * A response belongs to the interface whose subnet holds its source. With IP_MULTICAST_ALL (Linux's default) every
   * socket bound to :5353 hears the group on every interface it was joined on by any socket, and Node cannot read
   * IP_PKTINFO, so the source address is what tells the links apart. A source in no known subnet (a misconfigured
   * node) is accepted everywhere; merging by node id keeps it one node.
   */
  private accepts(iface: Ipv4Interface, source: string): boolean {
    if (inSubnet(iface, source)) return true;
    return ![...this.browsers.values()].some((b) => inSubnet(b.iface, source));
  }

  private rescan(): void {
    const wanted = new Map((this.options.interfaces ?? listIpv4Interfaces)().map((i) => [ifaceKey(i), i]));
    let gone = false;
    for (const [key, browser] of this.browsers) {
      if (wanted.has(key)) continue;
      this.browsers.delete(key);
      void browser.stop();
      gone = true;
    }
    for (const [key, iface] of wanted) {
      if (this.browsers.has(key)) continue;
      const browser = new InterfaceBrowser({
        iface,
        serviceName: this.serviceName,
        accepts: (source) => this.accepts(iface, source),
        onChange: (cause) => this.changed(cause),
        onError: (error) => {
          // This interface is unusable (address gone, port taken): drop it; the next rescan tries again.
          if (this.browsers.get(key) === browser) this.browsers.delete(key);
          void browser.stop();
          this.emit('problem', error, iface.name);
          this.recompute('stopped');
        },
        maxQueryIntervalMs: this.options.maxQueryIntervalMs ?? 60_000,
        tickMs: this.options.tickMs ?? 250,
        ...(this.options.port === undefined ? {} : { port: this.options.port }),
        ...(this.options.onSent === undefined ? {} : { onSent: this.options.onSent }),
      });
      this.browsers.set(key, browser);
    }
    if (gone) this.recompute('stopped', 'interface-gone');
  }

  /** A browser's cache changed: recompute once the batch window closes (goodbyes too: 50 ms is still "at once"). */
  private changed(cause: ChangeCause): void {
    if (this.batchCause === undefined || CAUSE_RANK[cause] > CAUSE_RANK[this.batchCause]) this.batchCause = cause;
    this.batchTimer ??= setTimeout(() => {
      const batched = this.batchCause ?? cause;
      this.batchTimer = undefined;
      this.batchCause = undefined;
      this.recompute(batched);
    }, this.options.batchMs ?? DEFAULT_BATCH_MS);
  }

  private recompute(cause: ChangeCause, reason: DownReason = downReason(cause)): void {
    const views = [...this.browsers.values()].map((b) => ({ iface: b.iface.name, instances: b.cache.instances().values() }));
    const { nodes, invalid } = mergeSightings(views, this.current);
    const previous = this.current;
    this.current = nodes;
    for (const [key, node] of previous) if (!nodes.has(key)) this.emit('down', node, reason);
    for (const [key, node] of nodes) {
      const before = previous.get(key);
      if (!before) this.emit('up', node);
      else if (JSON.stringify(before) !== JSON.stringify(node)) this.emit('update', node, before);
    }
    const stillInvalid = new Set<string>();
    for (const advertisement of invalid) {
      const id = JSON.stringify(advertisement);
      stillInvalid.add(id);
      if (!this.reportedInvalid.has(id)) this.emit('invalid', advertisement);
    }
    this.reportedInvalid = stillInvalid;
  }
}
