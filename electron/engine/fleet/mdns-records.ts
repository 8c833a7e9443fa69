import type { Answer } from 'dns-packet';

/**
 * The resource records DNS-SD browsing needs (RFC 6763 §4: PTR → SRV + TXT → A/AAAA), narrowed from dns-packet's
 * decoding of a packet off the network. Names are lower-cased and without a trailing dot, because mDNS compares
 * names case-insensitively (RFC 6762 §16); anything malformed is dropped here rather than trusted further on.
 */
export type MdnsRecord =
  | { readonly type: 'PTR'; readonly name: string; readonly ttl: number; readonly target: string; readonly rawTarget: string }
  | { readonly type: 'SRV'; readonly name: string; readonly ttl: number; readonly host: string; readonly port: number }
  | { readonly type: 'TXT'; readonly name: string; readonly ttl: number; readonly strings: readonly string[] }
  | { readonly type: 'A' | 'AAAA'; readonly name: string; readonly ttl: number; readonly address: string };

/** A name as a cache key: lower case, no trailing dot. */
export function normalizeName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function txtStrings(data: unknown): string[] | undefined {
  // dns-packet gives a TXT's character-strings as Buffers (RFC 1035 §3.3.14); tolerate a single string or Buffer too.
  const items = Array.isArray(data) ? data : [data];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') out.push(item);
    else if (Buffer.isBuffer(item)) out.push(item.toString('utf8'));
    else return undefined;
  }
  return out;
}

function validTtl(ttl: unknown): ttl is number {
  return typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 0;
}

/** The one record `answer` is, or undefined when it is of another type or malformed. */
export function toMdnsRecord(answer: Answer): MdnsRecord | undefined {
  // OPT pseudo-records (EDNS, RFC 6891) carry no TTL; nothing here wants them.
  if (answer.type === 'OPT' || typeof answer.name !== 'string' || !validTtl(answer.ttl)) return undefined;
  const name = normalizeName(answer.name);
  const ttl = answer.ttl;
  switch (answer.type) {
    case 'PTR':
      return typeof answer.data === 'string' ? { type: 'PTR', name, ttl, target: normalizeName(answer.data), rawTarget: answer.data } : undefined;
    case 'SRV': {
      const data: unknown = answer.data;
      if (typeof data !== 'object' || data === null) return undefined;
      const { target, port } = data as { target?: unknown; port?: unknown };
      if (typeof target !== 'string' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
      return { type: 'SRV', name, ttl, host: normalizeName(target), port };
    }
    case 'TXT': {
      const strings = txtStrings(answer.data);
      return strings ? { type: 'TXT', name, ttl, strings } : undefined;
    }
    case 'A':
    case 'AAAA':
      return typeof answer.data === 'string' ? { type: answer.type, name, ttl, address: answer.data } : undefined;
    default:
      return undefined;
  }
}

/** Every record of a response we can use, answers and additionals alike (RFC 6762 §6 lets either carry them). */
export function recordsOf(packet: { answers?: readonly Answer[]; additionals?: readonly Answer[] }): MdnsRecord[] {
  return [...(packet.answers ?? []), ...(packet.additionals ?? [])].flatMap((a) => toMdnsRecord(a) ?? []);
}
