import type { MdnsRecord } from './mdns-records';
import { type MdnsQuestion, questionKey } from './mdns-question';

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

/** A cached record the querier may list as a known answer (RFC 6762 §7.1), its TTL the time it has left. */
export type KnownAnswer = MdnsRecord;

interface Entry {
  readonly record: MdnsRecord;
  readonly receivedAt: number;
  readonly expiresAt: number;
  /** The refresh points of this copy (RFC 6762 §5.2), absolute ms, and how many have been passed. */
  readonly refreshAt: readonly number[];
  refreshed: number;
}

/** RFC 6762 §5.2: a querier re-asks at 80 %, 85 %, 90 % and 95 % of a record's TTL before it expires... */
const REFRESH_POINTS = [0.8, 0.85, 0.9, 0.95] as const;
/** ...each "plus a random variation of 2 % of the record TTL", so a thousand records cached together re-ask apart. */
const REFRESH_JITTER = 0.02;

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

const sameData = (a: MdnsRecord, b: MdnsRecord): boolean => JSON.stringify(a) === JSON.stringify({ ...b, ttl: a.ttl });

/**
 * The mDNS cache of one interface for one service type (RFC 6762 §10), pure: every method takes the time, so tests
 * drive it without timers. Goodbyes (TTL 0) remove a record at once rather than after RFC 6762 §10.1's one second:
 * a node that says goodbye should vanish from the list immediately, and one that did not mean it re-announces.
 * Indexed by instance and by host, so that a fleet of a thousand nodes costs linear time per look, not quadratic.
 */
export class ServiceCache {
  private readonly entries = new Map<string, Entry>();
  /** Address record keys by host name. */
  private readonly addressKeys = new Map<string, Set<string>>();
  /** PTR record keys of our service type, by instance fqdn. */
  private readonly instanceKeys = new Map<string, string>();

  /** `_macula._tcp.local`, normalized. */
  constructor(
    private readonly serviceName: string,
    private readonly random: () => number = Math.random,
  ) {}

  /** Takes a response's records; returns true when anything changed. */
  add(records: readonly MdnsRecord[], now: number): boolean {
    let changed = false;
    for (const record of records) {
      const key = keyOf(record);
      if (record.ttl === 0) {
        changed = this.remove(key) || changed;
        continue;
      }
      const before = this.entries.get(key);
      const same = before !== undefined && sameData(before.record, record);
      changed ||= !same;
      const lifetime = record.ttl * 1000;
      const refreshAt = REFRESH_POINTS.map((p) => now + lifetime * (p + this.random() * REFRESH_JITTER));
      // An unchanged record keeps its old object (with the new TTL), so what is derived from it stays memoized.
      const kept = same ? { ...before.record, ttl: record.ttl } : record;
      this.entries.set(key, { record: kept, receivedAt: now, expiresAt: now + lifetime, refreshAt, refreshed: 0 });
      this.index(key, kept);
    }
    return changed;
  }

  private index(key: string, record: MdnsRecord): void {
    if (record.type === 'PTR' && record.name === this.serviceName) this.instanceKeys.set(record.target, key);
    if (record.type === 'A' || record.type === 'AAAA') {
      const keys = this.addressKeys.get(record.name) ?? new Set<string>();
      keys.add(key);
      this.addressKeys.set(record.name, keys);
    }
  }

  private remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    const { record } = entry;
    if (record.type === 'PTR' && this.instanceKeys.get(record.target) === key) this.instanceKeys.delete(record.target);
    if (record.type === 'A' || record.type === 'AAAA') {
      const keys = this.addressKeys.get(record.name);
      keys?.delete(key);
      if (keys?.size === 0) this.addressKeys.delete(record.name);
    }
    return true;
  }

  /** Drops records past their TTL (RFC 6762 §10); returns true when any was dropped. */
  expire(now: number): boolean {
    let changed = false;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) changed = this.remove(key) || changed;
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
   * The questions to ask now because a cached record has just crossed one of its refresh points (RFC 6762 §5.2): each
   * record's own question (an SRV about to expire is asked for by name, not by browsing again, since a responder that
   * honours our known answers would not resend it with the PTR). Each point is reported once per received copy.
   */
  refreshDue(now: number): MdnsQuestion[] {
    const due = new Map<string, MdnsQuestion>();
    for (const entry of this.entries.values()) {
      let passed = entry.refreshed;
      while (passed < entry.refreshAt.length && now >= (entry.refreshAt[passed] ?? Infinity)) passed++;
      if (passed === entry.refreshed) continue;
      entry.refreshed = passed;
      const { record } = entry;
      const question: MdnsQuestion = { name: record.name, type: record.type };
      due.set(questionKey(question), question);
    }
    return [...due.values()];
  }

  /**
   * The answers of ours to `serviceName`'s PTR question a responder need not send again (RFC 6762 §7.1): only those
   * with more than half their TTL left, each with the TTL it has left, so one a responder is about to refresh is not
   * suppressed.
   */
  knownAnswers(now: number): KnownAnswer[] {
    const out: KnownAnswer[] = [];
    for (const key of this.instanceKeys.values()) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      const left = entry.expiresAt - now;
      if (left * 2 <= entry.expiresAt - entry.receivedAt) continue;
      out.push({ ...entry.record, ttl: Math.floor(left / 1000) });
    }
    return out;
  }

  /**
   * What is missing to resolve the instances browsing found (RFC 6763 §4): an SRV or TXT for an instance whose PTR
   * came without them (a responder's additional records are optional, and at a thousand instances they are the
   * packets a busy receiver loses), an A/AAAA for an SRV target with no address. With `since`, the PTR's arrival, so
   * the caller can give the rest of a response burst a moment before asking.
   */
  unresolved(): Array<{ readonly question: MdnsQuestion; readonly since: number }> {
    const out: Array<{ question: MdnsQuestion; since: number }> = [];
    for (const [fqdn, key] of this.instanceKeys) {
      const ptr = this.entries.get(key);
      if (ptr?.record.type !== 'PTR') continue;
      const name = ptr.record.rawTarget.replace(/\.$/, '');
      const since = ptr.receivedAt;
      const srv = this.entries.get(`SRV|${fqdn}`);
      if (!srv) out.push({ question: { name, type: 'SRV' }, since });
      if (!this.entries.has(`TXT|${fqdn}`)) out.push({ question: { name, type: 'TXT' }, since });
      if (srv?.record.type === 'SRV' && !this.addressKeys.has(srv.record.host)) out.push({ question: { name: srv.record.host, type: 'A' }, since: srv.receivedAt });
    }
    return out;
  }

  private latest(type: 'SRV' | 'TXT', name: string): MdnsRecord | undefined {
    return this.entries.get(`${type}|${name}`)?.record;
  }

  private addressesOf(host: string): string[] {
    const found: Array<{ type: 'A' | 'AAAA'; address: string }> = [];
    for (const key of this.addressKeys.get(host) ?? []) {
      const record = this.entries.get(key)?.record;
      if (record?.type === 'A' || record?.type === 'AAAA') found.push(record);
    }
    return [...found.filter((r) => r.type === 'A'), ...found.filter((r) => r.type === 'AAAA')].map((r) => r.address);
  }

  /** Every instance that is fully resolved now, by fqdn. */
  instances(): Map<string, ResolvedInstance> {
    const out = new Map<string, ResolvedInstance>();
    const suffix = `.${this.serviceName}`;
    for (const [fqdn, key] of this.instanceKeys) {
      const record = this.entries.get(key)?.record;
      if (record?.type !== 'PTR') continue;
      const srv = this.latest('SRV', fqdn);
      const txt = this.latest('TXT', fqdn);
      if (srv?.type !== 'SRV' || txt?.type !== 'TXT') continue;
      const raw = record.rawTarget.replace(/\.$/, '');
      const label = raw.toLowerCase().endsWith(suffix) ? raw.slice(0, raw.length - suffix.length) : raw;
      out.set(fqdn, { fqdn, instanceName: unescapeLabel(label), host: srv.host, port: srv.port, txt: txt.strings, addresses: this.addressesOf(srv.host) });
    }
    return out;
  }
}
