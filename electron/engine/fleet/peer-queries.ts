import { type Answer, type Packet, TRUNCATED_RESPONSE } from 'dns-packet';
import type { MdnsQuestion } from './mdns-question';
import { type MdnsRecord, recordsOf } from './mdns-records';

/** RFC 6762 §7.2: a responder waits 400–500 ms for the rest of a truncated known-answer list; so do we. */
export const CONTINUATION_WAIT_MS = 500;

/** Another host's complete query: its multicast (QM) questions and the keys of its known answers. */
export interface PeerQuery {
  readonly questions: readonly MdnsQuestion[];
  readonly knownAnswers: ReadonlySet<string>;
}

/** A known answer as a comparable key: type, name, data — not the TTL. */
export function knownAnswerKey(record: MdnsRecord): string {
  switch (record.type) {
    case 'PTR':
      return `PTR|${record.name}|${record.target}`;
    case 'SRV':
      return `SRV|${record.name}|${record.host}|${record.port}`;
    case 'TXT':
      return `TXT|${record.name}|${record.strings.join('\u0000')}`;
    case 'A':
    case 'AAAA':
      return `${record.type}|${record.name}|${record.address}`;
  }
}

const BROWSER_TYPES = new Set<string>(['PTR', 'SRV', 'TXT', 'A', 'AAAA']);

interface Pending {
  readonly questions: MdnsQuestion[];
  readonly known: Set<string>;
  readonly startedAt: number;
}

/**
 * Reassembles other hosts' queries whose known-answer list spans packets (RFC 6762 §7.2: every packet but the last
 * has the TC bit; the continuations carry answers only), per source address and port. A query's list is only
 * useful whole — duplicate-question suppression (§7.3) must know every record the other host holds — so one whose
 * continuation never came within CONTINUATION_WAIT_MS is dropped, not used as it was.
 */
export class PeerQueries {
  private readonly pending = new Map<string, Pending>();

  /** Takes a query packet from `source`; returns the query it completes, if it completes one. */
  add(packet: Packet, source: string, now: number): PeerQuery | undefined {
    this.dropStale(now);
    const questions = (packet.questions ?? []).flatMap((q): MdnsQuestion[] =>
      // dns-packet leaves a QU question's class unrecognised ('UNKNOWN_32769'): only QM questions (class IN) count.
      q.class === 'IN' && BROWSER_TYPES.has(q.type) && typeof q.name === 'string' ? [{ name: q.name, type: q.type as MdnsQuestion['type'] }] : [],
    );
    const known = recordsOf({ answers: (packet.answers ?? []) as Answer[] }).map(knownAnswerKey);
    const before = this.pending.get(source);
    const entry: Pending =
      before && (packet.questions ?? []).length === 0
        ? before
        : { questions, known: new Set<string>(), startedAt: now };
    for (const key of known) entry.known.add(key);
    const truncated = ((packet.flags ?? 0) & TRUNCATED_RESPONSE) !== 0;
    if (truncated) {
      this.pending.set(source, entry);
      return undefined;
    }
    this.pending.delete(source);
    return entry.questions.length > 0 ? { questions: entry.questions, knownAnswers: entry.known } : undefined;
  }

  private dropStale(now: number): void {
    for (const [source, entry] of this.pending) if (now - entry.startedAt > CONTINUATION_WAIT_MS) this.pending.delete(source);
  }
}
