import { type MdnsQuestion, questionKey } from './mdns-question';

/** RFC 6762 §5.2: the first two queries of a question are at least one second apart, then the interval doubles. */
export const FIRST_QUERY_INTERVAL_MS = 1000;
/**
 * How long a PTR may wait for its SRV and TXT before they are asked for by name. A responder sends the answers of a
 * big response before its additional records, over many packets in a row (python-zeroconf: ~9 kB each): the rest of
 * the burst usually lands within this time.
 */
export const RESOLVE_GRACE_MS = 200;

interface Backoff {
  /** When it may be asked next, ms. */
  nextAt: number;
  interval: number;
}

export interface ScheduleOptions {
  /** Cap of the doubling interval, ms. */
  readonly maxIntervalMs: number;
  readonly random?: () => number;
}

/**
 * When to ask what, for one interface (RFC 6762 §5.2 pacing, §7.3 duplicate-question suppression). Pure: every call
 * takes the time. The browse question follows the continuous-querying schedule (20–120 ms, then 1 s, 2 s, 4 s… up to
 * the cap); each resolve question (SRV/TXT/A of an instance found by browsing) backs off the same way on its own, so
 * a node that never answers is asked less and less, never in a tight loop.
 */
export class QuerySchedule {
  private browse: Backoff;
  private readonly resolving = new Map<string, Backoff>();
  private readonly random: () => number;

  constructor(
    readonly browseQuestion: MdnsQuestion,
    private readonly options: ScheduleOptions,
    now: number,
  ) {
    this.random = options.random ?? Math.random;
    // RFC 6762 §5.2: the first query after a random 20–120 ms, so hosts starting together do not collide.
    this.browse = { nextAt: now + 20 + this.random() * 100, interval: FIRST_QUERY_INTERVAL_MS };
  }

  private sent(backoff: Backoff, now: number): void {
    backoff.nextAt = now + backoff.interval;
    backoff.interval = Math.min(backoff.interval * 2, this.options.maxIntervalMs);
  }

  /**
   * The questions to send now: the browse question when its time has come, and each question of `unresolved` whose
   * PTR has had its grace and whose own backoff allows. Marks them sent.
   */
  due(now: number, unresolved: ReadonlyArray<{ readonly question: MdnsQuestion; readonly since: number }>): MdnsQuestion[] {
    const out: MdnsQuestion[] = [];
    if (now >= this.browse.nextAt) {
      out.push(this.browseQuestion);
      this.sent(this.browse, now);
    }
    const still = new Set<string>();
    for (const { question, since } of unresolved) {
      const key = questionKey(question);
      still.add(key);
      if (now - since < RESOLVE_GRACE_MS) continue;
      let backoff = this.resolving.get(key);
      if (!backoff) {
        backoff = { nextAt: now, interval: FIRST_QUERY_INTERVAL_MS };
        this.resolving.set(key, backoff);
      }
      if (now < backoff.nextAt) continue;
      out.push(question);
      this.sent(backoff, now);
    }
    // Resolved (or gone) ones start afresh should they be needed again.
    for (const key of this.resolving.keys()) if (!still.has(key)) this.resolving.delete(key);
    return out;
  }

  /** Asks the browse question again now and restarts its doubling (a user's "refresh", a new address). */
  restart(now: number): void {
    this.browse = { nextAt: now, interval: FIRST_QUERY_INTERVAL_MS };
  }

  /**
   * Another host just asked `question` (QM) with these known answers. If its list holds nothing we would not list
   * ourselves, its answers serve us too: treat ours as sent (RFC 6762 §7.3), the schedule moving on as if we had.
   */
  heardQuestion(question: MdnsQuestion, theirs: ReadonlySet<string>, ours: ReadonlySet<string>, now: number): boolean {
    for (const known of theirs) if (!ours.has(known)) return false;
    const key = questionKey(question);
    const backoff = key === questionKey(this.browseQuestion) ? this.browse : this.resolving.get(key);
    if (!backoff) return false;
    this.sent(backoff, now);
    return true;
  }
}
