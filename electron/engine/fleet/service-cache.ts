import type { MdnsRecord } from './mdns-records';

/** A DNS-SD service instance whose PTR, SRV and TXT are all in the cache (RFC 6763 §4). */
export interface ResolvedInstance {
  /** The instance's full name, normalized (the cache key). */
  readonly fqdn: string;
  /** The instance label as advertised (`<Instance>` of RFC 6763 §4.1), with DNS escapes undone. */
  readonly instanceName: string;
  readonly host: string;
  readonly port: number;
  readonly txt: readonly string[];
  /** A then AAAA addresses of the SRV target; IPv6 ones are kept as given (link-local without a zone). */
  readonly addresses: readonly string[];
}

interface Entry {
  readonly record: MdnsRecord;
  readonly receivedAt: number;
  readonly expiresAt: number;
  /** How many of the refresh points (REFRESH_POINTS) have been passed and queried for. */
  refreshed: number;
}

/** RFC 6762 §5.2: a querier re-asks at 80 %, 85 %, 90 % and 95 % of a record's TTL before it expires. */
const REFRESH_POINTS = [0.8, 0.85, 0.9, 0.95] as const;

function keyOf(record: MdnsRecord): string {
  switch (record.type) {
    case 'PTR':
      return `PTR|${record.name}|${record.target}`;
    case 'A':
    case 'AAAA':
      return `${record.type}|${record.name}|${record.address}`;
    // One SRV and one TXT per instance name: a new one replaces the old at once, as the cache-flush bit asks
    // (RFC 6762 §10.2) whether or not the responder set it — bonjour-service's responder never does.
    case 'SRV':
    case 'TXT':
      return `${record.type}|${record.name}`;
  }
}

/** `Instance\.With\.Dots` → `Instance.With.Dots` (RFC 6763 §4.3 escaping as dns-packet prints it). */
function unescapeLabel(label: string): string {
  return label.replace(/\\(\d{3}|.)/g, (_, c: string) => (c.length === 3 ? String.fromCharCode(Number(c)) : c));
}

/**
 * The mDNS cache of one interface for one service type (RFC 6762 §10), pure: every method takes the time, so tests
 * drive it without timers. Goodbyes (TTL 0) remove a record at once rather than after RFC 6762 §10.1's one second:
 * a node that says goodbye should vanish from the list immediately, and one that did not mean it re-announces.
 */
export class ServiceCache {
  private readonly entries = new Map<string, Entry>();
  /** `_macula._tcp.local`, normalized. */
  constructor(private readonly serviceName: string) {}

  /** Takes a response's records; returns true when anything changed. */
  add(records: readonly MdnsRecord[], now: number): boolean {
    let changed = false;
    for (const record of records) {
      const key = keyOf(record);
      if (record.ttl === 0) {
        changed = this.entries.delete(key) || changed;
        continue;
      }
      const before = this.entries.get(key);
      changed ||= before === undefined || JSON.stringify(before.record) !== JSON.stringify({ ...record, ttl: before.record.ttl });
      this.entries.set(key, { record, receivedAt: now, expiresAt: now + record.ttl * 1000, refreshed: 0 });
    }
    return changed;
  }

  /** Drops records past their TTL (RFC 6762 §10); returns true when any was dropped. */
  expire(now: number): boolean {
    let changed = false;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) changed = this.entries.delete(key) || changed;
    }
    return changed;
  }

  /** When the next record expires (ms timestamp), for scheduling. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const entry of this.entries.values()) if (next === undefined || entry.expiresAt < next) next = entry.expiresAt;
    return next;
  }

  /**
   * True when a record of an instance of ours has just crossed one of its refresh points, so a query should go out
   * now (RFC 6762 §5.2); each point is reported once per received copy of the record.
   */
  refreshDue(now: number): boolean {
    let due = false;
    for (const entry of this.entries.values()) {
      const lifetime = entry.expiresAt - entry.receivedAt;
      let passed = 0;
      while (passed < REFRESH_POINTS.length && now >= entry.receivedAt + lifetime * (REFRESH_POINTS[passed] ?? 1)) passed++;
      if (passed > entry.refreshed) {
        entry.refreshed = passed;
        due = true;
      }
    }
    return due;
  }

  private latest(type: 'SRV' | 'TXT', name: string): MdnsRecord | undefined {
    return this.entries.get(`${type}|${name}`)?.record;
  }

  /** Every instance that is fully resolved now, by fqdn. */
  instances(): Map<string, ResolvedInstance> {
    const out = new Map<string, ResolvedInstance>();
    for (const { record } of this.entries.values()) {
      if (record.type !== 'PTR' || record.name !== this.serviceName) continue;
      const srv = this.latest('SRV', record.target);
      const txt = this.latest('TXT', record.target);
      if (srv?.type !== 'SRV' || txt?.type !== 'TXT') continue;
      const addresses: string[] = [];
      for (const type of ['A', 'AAAA'] as const) {
        for (const { record: r } of this.entries.values()) if (r.type === type && r.name === srv.host) addresses.push(r.address);
      }
      const suffix = `.${this.serviceName}`;
      const raw = record.rawTarget.replace(/\.$/, '');
      const label = raw.toLowerCase().endsWith(suffix) ? raw.slice(0, raw.length - suffix.length) : raw;
      out.set(record.target, { fqdn: record.target, instanceName: unescapeLabel(label), host: srv.host, port: srv.port, txt: txt.strings, addresses });
    }
    return out;
  }
}
