/**
 * The Portal contract server over https, as its own process inside a network namespace, for the image end-to-end test:
 * `portal-https-host.ts HOST PORT KEY.pem CERT.pem [TOKEN…]` registers each enrollment TOKEN, prints `{"origin": …}`
 * once listening and `{"redeemed": TOKEN-PREFIX, "token_hash": …, "node_id": …}` when a node redeems one (registered or
 * minted by a desktop's sign-in), then takes `approve USER_CODE` lines on stdin like portal-host.ts (which serves
 * http, for the agent run in-process with an http Portal allowed).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startPortalContractServer } from '../portal/contract-server';

const [host, port, keyPath, certPath, ...tokens] = process.argv.slice(2);
const reported = new Set<string>();
if (!host || !port || !keyPath || !certPath) throw new Error('usage: portal-https-host.ts HOST PORT KEY.pem CERT.pem [TOKEN…]');
const portal = await startPortalContractServer({
  host,
  port: Number(port),
  interval: 1,
  tls: { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') },
  onRequest: ({ method, path, status }) => {
    console.log(JSON.stringify({ request: `${method} ${path}`, status }));
    // Which node redeemed which token, so the test can tell the redemption happened here (a prefix: tokens are secrets).
    for (const token of [...tokens, ...portal.issuedEnrollmentTokens]) {
      const node = portal.redeemedBy(token);
      if (node !== undefined && !reported.has(token)) {
        reported.add(token);
        // A hash tells tokens apart in the log without writing any of them out.
        const hash = createHash('sha256').update(token).digest('hex').slice(0, 16);
        console.log(JSON.stringify({ redeemed: token.slice(0, 4), token_hash: hash, node_id: node, minted_for: portal.mintedFor(token)?.nodeId ?? null }));
      }
    }
  },
});
for (const token of tokens) portal.addEnrollmentToken({ token });
console.log(JSON.stringify({ origin: portal.origin }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, code] = line.trim().split(/\s+/);
  try {
    if (verb === 'approve' && code) portal.approve(code);
    else throw new Error(`unknown command ${line}`);
    console.log(JSON.stringify({ approved: code }));
  } catch (err) {
    console.log(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void portal.close().then(() => process.exit(0)));
