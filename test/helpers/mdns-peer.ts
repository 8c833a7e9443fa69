/**
 * A scripted mDNS peer for the RFC 6762 browser tests, in its own network namespace:
 * `ip netns exec NS node --import tsx mdns-peer.ts CONFIG_JSON`. It prints every query it hears as a JSON line
 * (`{"query":{…},"from":ADDRESS,"at":MS}`, with the TC bit, the questions and the known answers) so a test sees what
 * the browser put on the wire, and answers as the mode says:
 *   - `full`: a browse (PTR) question gets every instance's PTR with SRV, TXT and A as additional records, in
 *     datagrams of up to 8 kB, each PTR left out if the query listed it as a known answer (RFC 6762 §7.1);
 *   - `ptr-only`: a browse question gets PTRs and nothing else; SRV/TXT/A questions are answered by name, except for
 *     instances listed in `mute`, which never answer;
 *   - `browser`: answers nothing, and sends `_macula._tcp.local` PTR questions every `everyMs`, with `known` as known answers.
 */
import makeMdns from 'multicast-dns';
import { type Answer, encodingLength } from 'dns-packet';
import { encodeTxtRecord } from '../../shared/fleet/txt-record';

interface PeerConfig {
  readonly address: string;
  readonly mode: 'full' | 'ptr-only' | 'browser';
  readonly count?: number;
  readonly prefix?: string;
  readonly mute?: readonly string[];
  readonly everyMs?: number;
  readonly known?: readonly string[];
  readonly ttl?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerConfig;
const SERVICE = '_macula._tcp.local';
const ttl = config.ttl ?? 120;
const mdns = makeMdns({ interface: config.address, bind: '0.0.0.0', reuseAddr: true });
const names = Array.from({ length: config.count ?? 0 }, (_, i) => `${config.prefix ?? 'peer'}-${String(i).padStart(4, '0')}`);
const fp = Buffer.alloc(32, 7).toString('base64url');

const ptr = (name: string): Answer => ({ type: 'PTR', name: SERVICE, ttl, data: `${name}.${SERVICE}` });
const srv = (name: string): Answer => ({ type: 'SRV', name: `${name}.${SERVICE}`, ttl, data: { target: `${name}.local`, port: 8443 } });
const txt = (name: string): Answer => ({
  type: 'TXT',
  name: `${name}.${SERVICE}`,
  ttl,
  data: encodeTxtRecord({ nodeId: name, state: 'unpaired', fingerprint: fp, osVersion: '0.1.0', arch: 'amd64', meshRoles: [], apiPort: 8443 }),
});
const a = (name: string): Answer => ({ type: 'A', name: `${name}.local`, ttl, data: config.address });

/** Sends `answers` then `additionals` in datagrams of at most ~8 kB, as big responders do. */
function respond(answers: Answer[], additionals: Answer[]): void {
  const all = [...answers.map((r) => ({ r, extra: false })), ...additionals.map((r) => ({ r, extra: true }))];
  for (let i = 0; i < all.length; i += 40) {
    const chunk = all.slice(i, i + 40);
    mdns.respond({ answers: chunk.filter((c) => !c.extra).map((c) => c.r), additionals: chunk.filter((c) => c.extra).map((c) => c.r) });
  }
}

mdns.on('query', (packet, rinfo) => {
  const dataOf = (k: Answer): string => ('data' in k && typeof k.data === 'string' ? k.data : '');
  const known = (packet.answers ?? []).map((k) => `${k.type} ${k.name} ${dataOf(k)}`);
  const questions = packet.questions.map((q) => `${q.type} ${q.name}`);
  process.stdout.write(`${JSON.stringify({ query: { tc: (packet.flags & 0x200) !== 0, questions, known, bytes: encodingLength(packet) }, from: rinfo.address, at: Date.now() })}\n`);
  if (config.mode === 'browser' || rinfo.address === config.address) return;
  const listed = new Set((packet.answers ?? []).filter((k) => k.type === 'PTR').map((k) => dataOf(k).toLowerCase()));
  const mute = new Set(config.mute ?? []);
  for (const q of packet.questions) {
    const name = q.name.toLowerCase();
    if (q.type === 'PTR' && name === SERVICE) {
      const fresh = names.filter((n) => !listed.has(`${n}.${SERVICE}`.toLowerCase()));
      if (config.mode === 'full') respond(fresh.map(ptr), fresh.flatMap((n) => [srv(n), txt(n), a(n)]));
      else respond(fresh.map(ptr), []);
      continue;
    }
    const instance = names.find((n) => name === `${n}.${SERVICE}`.toLowerCase() || name === `${n}.local`);
    if (!instance || mute.has(instance)) continue;
    if (q.type === 'SRV') respond([srv(instance)], []);
    if (q.type === 'TXT') respond([txt(instance)], []);
    if (q.type === 'A') respond([a(instance)], []);
  }
});

mdns.on('ready', () => {
  process.stdout.write('ready\n');
  if (config.mode !== 'browser') return;
  const known: Answer[] = (config.known ?? []).map((target) => ({ type: 'PTR', name: SERVICE, ttl: 4500, data: target }));
  setInterval(() => mdns.query({ questions: [{ name: SERVICE, type: 'PTR' }], answers: known }), config.everyMs ?? 500);
});
