import { parseArgs } from 'node:util';
import { PORTAL_ENDPOINTS } from '../../shared/fleet/portal-contract';
import { APPROVAL_PAGE_PATH } from './approval-page';
import { startPortalContractServer } from './contract-server';

/**
 * `npm run portal:dev [-- --port N]`: the Portal contract server on 127.0.0.1 for local development, with one demo
 * enrollment token. Approve device codes on the printed page. Ctrl-C stops it.
 */

const { values } = parseArgs({ options: { port: { type: 'string', default: '8780' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be 0–65535, not ${values.port}`);
  process.exit(2);
}

const portal = await startPortalContractServer({
  port,
  onRequest: ({ method, path, status }) => console.log(`${new Date().toISOString()} ${method} ${path} → ${status}`),
});
const token = portal.addEnrollmentToken({ token: 'demo-enrollment-token' });

console.log(`Portal contract server: ${portal.origin}`);
console.log(`  device authorization  POST ${portal.url(PORTAL_ENDPOINTS.deviceAuthorization.path)}`);
console.log(`  token                 POST ${portal.url(PORTAL_ENDPOINTS.token.path)}`);
console.log(`  pair                  POST ${portal.url(PORTAL_ENDPOINTS.pair.path)}`);
console.log(`  enrollment tokens     POST ${portal.url(PORTAL_ENDPOINTS.enrollmentTokens.path)} (Bearer, the desktop's sign-in)`);
console.log(`  approve codes at      ${portal.url(APPROVAL_PAGE_PATH)}`);
console.log(`Demo enrollment token (redeemable once): ${token}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void portal.close().then(() => process.exit(0));
  });
}
