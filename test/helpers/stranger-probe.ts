/**
 * A LAN stranger's look at a node, as its own process inside a network namespace: `stranger-probe.ts HOST PORT PIN`
 * asks every route that needs no session (and a few that do, without one) and prints one `{"route", "status", "body"}`
 * line each, then `{"done": true}`. It pins the fingerprint the node advertises, as anyone on the LAN can.
 */
import { pinnedRequest } from '../../image-build/agent/testing/pinned-client';
import { NODE_API } from '../../shared/fleet/node-api';

const [host, port, pin] = process.argv.slice(2);
const target = { host: host ?? '', port: Number(port), pin: pin ?? '' };
const nonce = 'A'.repeat(43);
const probes: { method: string; path: string; body?: unknown; token?: string }[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/index.html' },
  { method: 'GET', path: '/?format=json' },
  { method: 'GET', path: NODE_API.info.path },
  { method: 'POST', path: NODE_API.challenge.path, body: { desktop_nonce: nonce } },
  { method: 'POST', path: NODE_API.proof.path, body: { challenge_id: nonce, desktop_proof: nonce } },
  { method: 'GET', path: NODE_API.pairingStatus.path },
  { method: 'GET', path: NODE_API.pairingStatus.path, token: nonce },
  { method: 'POST', path: NODE_API.pairingStart.path, body: { mode: 'device_flow' } },
  { method: 'GET', path: '/api/v1/pairing' },
  { method: 'GET', path: NODE_API.seedReport.path },
  // Adoption is open to anyone before a node has a key: its answers must still carry no setup code. The share is
  // Curve25519's base point (u = 9), a valid point.
  { method: 'POST', path: NODE_API.adoptStart.path, body: { sid: 'A'.repeat(22), desktop_share: `CQ${'A'.repeat(41)}` } },
  { method: 'POST', path: NODE_API.adoptFinish.path, body: { adoption_id: nonce, desktop_confirm: 'A'.repeat(86), sealed: { iv: 'A'.repeat(16), ciphertext: 'AAAA', tag: 'A'.repeat(22) } } },
];
for (const probe of probes) {
  const res = await pinnedRequest(target, probe.method, probe.path, {
    ...(probe.body === undefined ? {} : { body: probe.body }),
    ...(probe.token === undefined ? {} : { token: probe.token }),
  });
  console.log(JSON.stringify({ route: `${probe.method} ${probe.path}`, status: res.status, headers: res.headers, body: res.body }));
}
console.log(JSON.stringify({ done: true }));
