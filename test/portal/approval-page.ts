import { NODE_BINDING_PARAMS, type NodeBinding } from '../../shared/fleet/portal-contract';
import type { RegisteredNode } from './device-flow-store';

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

export interface ApprovalView {
  /** The code the user was shown (prefilled from `verification_uri_complete`). */
  readonly userCode: string;
  /** The node that registered this code, if the code is pending. */
  readonly registered: RegisteredNode | undefined;
  /** The node the desktop pinned, from a bound link: sent along, so the Portal approves only that node. */
  readonly pinned: NodeBinding | undefined;
}

/** Which node asks (what it registered), so the user compares it with the node they mean before approving. */
function nodeFacts(node: RegisteredNode): string {
  return `<dl id="node"><dt>Host name</dt><dd id="node-hostname">${escapeHtml(node.hostname ?? '(none given)')}</dd>
<dt>Node id</dt><dd id="node-id">${escapeHtml(node.nodeId)}</dd>
<dt>Certificate fingerprint</dt><dd id="node-fingerprint">${escapeHtml(node.fingerprint)}</dd></dl>`;
}

/** The form: the code, the node that registered it, the pinned node as hidden fields, Authorize and Deny. */
export function approvalPage(view: ApprovalView): string {
  const { registered, pinned } = view;
  const mismatch = pinned !== undefined && (registered?.nodeId !== pinned.nodeId || registered.fingerprint !== pinned.fingerprint);
  const hidden = pinned
    ? `<input type="hidden" name="${NODE_BINDING_PARAMS.nodeId}" value="${escapeHtml(pinned.nodeId)}">
<input type="hidden" name="${NODE_BINDING_PARAMS.fingerprint}" value="${escapeHtml(pinned.fingerprint)}">`
    : '';
  return page(
    'Authorize this node?',
    `${registered ? nodeFacts(registered) : ''}
${mismatch ? '<p id="mismatch">This code belongs to another node than the one your desktop paired with. Do not approve it.</p>' : ''}
<form method="post" action="${TEST_APPROVE_PATH}">
<label for="user_code">Code shown on the node or the desktop</label>
<input id="user_code" name="user_code" value="${escapeHtml(view.userCode)}" autocomplete="off" required>
${hidden}
<p><button id="approve" type="submit">Authorize</button><button id="deny" type="submit" formaction="${TEST_DENY_PATH}">Deny</button></p>
</form>`,
  );
}

/** What follows a click: `outcome` for a known code, that no pending request has it, or that it is another node's. */
export function resultPage(outcome: 'approved' | 'denied' | 'unknown' | 'node_mismatch', userCode: string): string {
  const code = escapeHtml(userCode);
  if (outcome === 'unknown') return page('Code not found', `<p id="result">No pending request has the code ${code}, or it expired.</p>`);
  if (outcome === 'node_mismatch') return page('Not approved', `<p id="result">${code} belongs to another node than the one pinned: not approved.</p>`);
  return page(outcome === 'approved' ? 'Node authorized' : 'Node denied', `<p id="result">${code}: ${outcome}.</p>`);
}
