/**
 * The Portal contract server as its own process inside a network namespace, for the pairing tests:
 * `portal-host.ts HOST PORT [TOKEN…]` registers each enrollment TOKEN, prints `{"origin": …}` once listening, then
 * takes `approve USER_CODE` / `deny USER_CODE` lines on stdin (what a user does on the Portal's page) and prints
 * `{"approved": CODE}` / `{"denied": CODE}` or `{"error": …}`.
 */
import { createInterface } from 'node:readline';
import { startPortalContractServer } from '../portal/contract-server';

const [host, port, ...tokens] = process.argv.slice(2);
const portal = await startPortalContractServer({ host, port: Number(port), interval: 1 });
for (const token of tokens) portal.addEnrollmentToken({ token });
console.log(JSON.stringify({ origin: portal.origin }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, code] = line.trim().split(/\s+/);
  try {
    if (verb === 'approve' && code) portal.approve(code);
    else if (verb === 'deny' && code) portal.deny(code);
    else throw new Error(`unknown command ${line}`);
    console.log(JSON.stringify({ [verb === 'approve' ? 'approved' : 'denied']: code }));
  } catch (err) {
    console.log(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void portal.close().then(() => process.exit(0)));
