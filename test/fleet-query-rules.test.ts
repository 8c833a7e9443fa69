import { TRUNCATED_RESPONSE, encode } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { MdnsRecord } from '../electron/engine/fleet/mdns-records';
import { CONTINUATION_WAIT_MS, PeerQueries } from '../electron/engine/fleet/peer-queries';
import { MAX_QUERY_BYTES, queryPackets } from '../electron/engine/fleet/query-packets';
import { QuerySchedule, RESOLVE_GRACE_MS } from '../electron/engine/fleet/query-schedule';
import { ServiceCache } from '../electron/engine/fleet/service-cache';

/**
 * The browser's RFC 6762 rules as pure functions of time (the wire-level checks, run against real peers, are in
 * fleet-discovery-rfc.test.ts): known answers and their TC continuation (§7.1, §7.2), pacing and backoff (§5.2),
 * another host's truncated query (§7.2, §7.3).
 */

const SERVICE = '_macula._tcp.local';
const ptr = (i: number, ttl = 120): MdnsRecord => ({ type: 'PTR', name: SERVICE, ttl, target: `n-${i}.${SERVICE}`, rawTarget: `n-${i}.${SERVICE}` });

describe('known answers (RFC 6762 §7.1, §7.2)', () => {
  it('lists only PTRs with more than half their TTL left, with the TTL left', () => {
    const cache = new ServiceCache(SERVICE);
    cache.add([ptr(1, 100)], 0);
    cache.add([ptr(2, 100)], 40_000);
    const known = cache.knownAnswers(60_000);
    expect(known.map((k) => (k.type === 'PTR' ? [k.target, k.ttl] : []))).toEqual([[`n-2.${SERVICE}`, 80]]);
  });

  it('splits a long list into packets within the MTU, TC on all but the last, every record once', () => {
    const records = Array.from({ length: 300 }, (_, i) => ptr(i));
    const packets = queryPackets([{ name: SERVICE, type: 'PTR' }, { name: `x.${SERVICE}`, type: 'SRV' }], records);
    const list = packets.filter((p) => (p.answers ?? []).length > 0);
    expect(list.length).toBeGreaterThan(1);
    expect(list.slice(0, -1).every((p) => p.flags === TRUNCATED_RESPONSE)).toBe(true);
    expect(list.at(-1)?.flags).toBe(0);
    expect(list.flatMap((p) => p.answers ?? [])).toHaveLength(300);
    expect(packets.every((p) => encode(p).length <= MAX_QUERY_BYTES)).toBe(true);
    // The browse question leads the list; the resolve question goes on its own, no TC.
    expect(list[0]?.questions.map((q) => q.type)).toEqual(['PTR']);
    expect(packets.at(-1)?.questions.map((q) => q.type)).toEqual(['SRV']);
  });
});

describe('pacing (RFC 6762 §5.2)', () => {
  it('browses 20-120 ms after start, then 1 s, 2 s, 4 s… apart up to the cap', () => {
    const schedule = new QuerySchedule({ name: SERVICE, type: 'PTR' }, { maxIntervalMs: 8000, random: () => 0.5 }, 0);
    const sent: number[] = [];
    for (let t = 0; t <= 40_000; t += 10) if (schedule.due(t, []).length > 0) sent.push(t);
    expect(sent).toEqual([70, 1070, 3070, 7070, 15070, 23070, 31070, 39070]);
  });

  it('asks for an unresolved instance after its grace, then backs off doubling, and forgets it once resolved', () => {
    const schedule = new QuerySchedule({ name: SERVICE, type: 'PTR' }, { maxIntervalMs: 60_000, random: () => 0 }, 0);
    const missing = [{ question: { name: `n-1.${SERVICE}`, type: 'SRV' as const }, since: 1000 }];
    const asked: number[] = [];
    for (let t = 1000; t <= 9000; t += 10) if (schedule.due(t, missing).some((q) => q.type === 'SRV')) asked.push(t);
    expect(asked).toEqual([1000 + RESOLVE_GRACE_MS, 2200, 4200, 8200]);
    schedule.due(9010, []);
    expect(schedule.due(9500, missing.map((m) => ({ ...m, since: 9000 }))).some((q) => q.type === 'SRV')).toBe(true);
  });
});

describe("another host's query (RFC 6762 §7.2, §7.3)", () => {
  const question = { name: SERVICE, type: 'PTR' as const, class: 'IN' as const };
  const answer = (i: number) => ({ type: 'PTR' as const, name: SERVICE, ttl: 100, class: 'IN' as const, data: `n-${i}.${SERVICE}` });

  it('joins a truncated known-answer list with its continuation before using it', () => {
    const peers = new PeerQueries();
    expect(peers.add({ type: 'query', flags: TRUNCATED_RESPONSE, questions: [question], answers: [answer(1)] }, 'a:5353', 0)).toBeUndefined();
    const whole = peers.add({ type: 'query', flags: 0, questions: [], answers: [answer(2)] }, 'a:5353', 100);
    expect(whole?.questions).toEqual([{ name: SERVICE, type: 'PTR' }]);
    expect([...(whole?.knownAnswers ?? [])].sort()).toEqual([`PTR|${SERVICE}|n-1.${SERVICE}`, `PTR|${SERVICE}|n-2.${SERVICE}`]);
  });

  it('drops a list whose continuation came too late, and ignores QU questions', () => {
    const peers = new PeerQueries();
    peers.add({ type: 'query', flags: TRUNCATED_RESPONSE, questions: [question], answers: [answer(1)] }, 'a:5353', 0);
    expect(peers.add({ type: 'query', flags: 0, questions: [], answers: [answer(2)] }, 'a:5353', CONTINUATION_WAIT_MS + 1)).toBeUndefined();
    // dns-packet leaves the unicast-response bit in the class: such a question asks for a unicast answer we never get.
    expect(peers.add({ type: 'query', flags: 0, questions: [{ ...question, class: 'UNKNOWN_32769' as never }] }, 'b:5353', 0)).toBeUndefined();
  });

  it('treats ours as sent only when their list holds nothing ours lacks', () => {
    const schedule = new QuerySchedule({ name: SERVICE, type: 'PTR' }, { maxIntervalMs: 60_000, random: () => 0 }, 0);
    const q = { name: SERVICE, type: 'PTR' as const };
    expect(schedule.heardQuestion(q, new Set(['PTR|x|rogue']), new Set(), 10)).toBe(false);
    expect(schedule.due(20, []).length).toBe(1);
    expect(schedule.heardQuestion(q, new Set(), new Set(['PTR|x|a']), 900)).toBe(true);
    // Counted as sent at 900: the next is 2 s later, not at 1,020.
    expect(schedule.due(1100, []).length).toBe(0);
    expect(schedule.due(2900, []).length).toBe(1);
  });
});
