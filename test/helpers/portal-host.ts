/**
 * The Portal contract server as its own process inside a network namespace, for the pairing tests:
 * `portal-host.ts HOST PORT [TOKEN…]` registers each enrollment TOKEN, prints `{"origin": …}` once listening, then
 * takes lines on stdin, what a user does on the Portal's page:
 *   approve USER_CODE [NODE_ID FINGERPRINT [USER_NAME ORG]]   approve, bound to the node the approver pinned if named
 *   deny USER_CODE
 *   pending                                                   the pending device authorizations and their nodes
 * and prints `{"approved": CODE}` / `{"denied": CODE}` / `{"pending": […]}` or `{"error": …}`.
 */
import { createInterface } from 'node:readline';
import { startPortalContractServer } from '../portal/contract-server';

const [host, port, ...tokens] = process.argv.slice(2);
const portal = await startPortalContractServer({ host, port: Number(port), interval: 1 });
for (const token of tokens) portal.addEnrollmentToken({ token });
console.log(JSON.stringify({ origin: portal.origin }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, code, nodeId, fingerprint, userName, orgIdentity] = line.trim().split(/\s+/);
  try {
    if (verb === 'pending') return console.log(JSON.stringify({ pending: portal.pending() }));
    if (verb === 'approve' && code) {
      const identity = userName && orgIdentity ? { userName, orgIdentity } : undefined;
      portal.approve(code, identity, nodeId && fingerprint ? { nodeId, fingerprint } : undefined);
    } else if (verb === 'deny' && code) portal.deny(code);
    else throw new Error(`unknown command ${line}`);
    console.log(JSON.stringify({ [verb === 'approve' ? 'approved' : 'denied']: code }));
  } catch (err) {
    console.log(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void portal.close().then(() => process.exit(0)));
