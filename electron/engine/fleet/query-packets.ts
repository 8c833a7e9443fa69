import { type Answer, type Packet, type Question, TRUNCATED_RESPONSE, encodingLength } from 'dns-packet';
import type { MdnsQuestion } from './mdns-question';
import type { KnownAnswer } from './service-cache';

/**
 * The largest query we send: an Ethernet MTU (1500) less the IPv4 and UDP headers. RFC 6762 §17 allows up to 9000
 * bytes with fragmentation, but a lost fragment loses the whole packet, and a known-answer list need not be one
 * packet (§7.2).
 */
export const MAX_QUERY_BYTES = 1472;

const HEADER_BYTES = 12;

/** A query packet: questions always present, if empty (a known-answer continuation, RFC 6762 §7.2). */
export type QueryPacket = Packet & { questions: Question[] };

function toAnswer(record: KnownAnswer): Answer {
  switch (record.type) {
    case 'PTR':
      return { type: 'PTR', name: record.name, ttl: record.ttl, class: 'IN', data: record.rawTarget };
    case 'SRV':
      return { type: 'SRV', name: record.name, ttl: record.ttl, class: 'IN', data: { target: record.host, port: record.port } };
    case 'TXT':
      return { type: 'TXT', name: record.name, ttl: record.ttl, class: 'IN', data: [...record.strings] };
    case 'A':
    case 'AAAA':
      return { type: record.type, name: record.name, ttl: record.ttl, class: 'IN', data: record.address };
  }
}

const toQuestion = (q: MdnsQuestion): Question => ({ name: q.name, type: q.type, class: 'IN' });
const questionBytes = (q: Question): number => encodingLength({ questions: [q] }) - HEADER_BYTES;
const answerBytes = (a: Answer): number => encodingLength({ answers: [a] }) - HEADER_BYTES;

/**
 * The packets of one query: the browsing (PTR) questions with the known answers (RFC 6762 §7.1), and when those do
 * not fit in one packet, the rest in the packets right after it, every packet but the last of the list with the TC
 * bit set, which tells responders more known answers follow (§7.2; they wait 400–500 ms for them, §6). Questions
 * with no known answers (resolving SRV/TXT/A) fill packets of their own, no TC. Names are never compressed here
 * (dns-packet does not), which costs bytes, never correctness.
 */
export function queryPackets(questions: readonly MdnsQuestion[], knownAnswers: readonly KnownAnswer[], maxBytes = MAX_QUERY_BYTES): QueryPacket[] {
  const packets: QueryPacket[] = [];
  const browse = questions.filter((q) => q.type === 'PTR').map(toQuestion);
  const resolve = questions.filter((q) => q.type !== 'PTR').map(toQuestion);
  if (browse.length > 0) {
    let current: QueryPacket = { type: 'query', flags: 0, questions: browse, answers: [] };
    let size = HEADER_BYTES + browse.reduce((n, q) => n + questionBytes(q), 0);
    packets.push(current);
    for (const record of knownAnswers) {
      const answer = toAnswer(record);
      const bytes = answerBytes(answer);
      if (size + bytes > maxBytes && (current.answers?.length ?? 0) > 0) {
        current.flags = TRUNCATED_RESPONSE;
        current = { type: 'query', flags: 0, questions: [], answers: [] };
        size = HEADER_BYTES;
        packets.push(current);
      }
      current.answers?.push(answer);
      size += bytes;
    }
  }
  let current: QueryPacket | undefined;
  let size = 0;
  for (const question of resolve) {
    const bytes = questionBytes(question);
    if (!current || size + bytes > maxBytes) {
      current = { type: 'query', flags: 0, questions: [] };
      size = HEADER_BYTES;
      packets.push(current);
    }
    current.questions.push(question);
    size += bytes;
  }
  return packets;
}
