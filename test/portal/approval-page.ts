/**
 * The contract server's stand-in for the Portal's "Authorize this node?" page (plan §8.1 step 6): the
 * `verification_uri` a user opens, with buttons a browser test can click. Only for tests and local development.
 */

export const APPROVAL_PAGE_PATH = '/device';
export const TEST_APPROVE_PATH = '/test/approve';
export const TEST_DENY_PATH = '/test/deny';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Content-Security-Policy of both pages: no scripts at all, forms only to this server. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto}button{margin-right:.5rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>
`;
}

/** The form: the code the user was shown (prefilled from `verification_uri_complete`), Authorize and Deny. */
export function approvalPage(userCode: string): string {
  return page(
    'Authorize this node?',
    `<form method="post" action="${TEST_APPROVE_PATH}">
<label for="user_code">Code shown on the node or the desktop</label>
<input id="user_code" name="user_code" value="${escapeHtml(userCode)}" autocomplete="off" required>
<p><button id="approve" type="submit">Authorize</button><button id="deny" type="submit" formaction="${TEST_DENY_PATH}">Deny</button></p>
</form>`,
  );
}

/** What follows a click: `outcome` for a known code, or that no pending request has it. */
export function resultPage(outcome: 'approved' | 'denied' | 'unknown', userCode: string): string {
  const code = escapeHtml(userCode);
  if (outcome === 'unknown') return page('Code not found', `<p id="result">No pending request has the code ${code}, or it expired.</p>`);
  return page(outcome === 'approved' ? 'Node authorized' : 'Node denied', `<p id="result">${code}: ${outcome}.</p>`);
}
