import { useState } from 'react';
import { assertNever } from '../../shared/errors';
import type { SignInView } from '../../shared/ipc-portal';
import { type SignInState, usePortalSignIn } from './use-portal-sign-in';
import type { EngineClient } from './bridge';

/** The QR code comes as SVG from the engine; as an <img> it can never run or style anything on this page. */
const svgDataUrl = (svg: string): string => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

/** What went wrong, in the user's terms, beside the button. */
function failureText(view: Extract<SignInView, { state: 'failed' }>): string {
  switch (view.reason) {
    case 'portal_unreachable':
      return `Portal unreachable: ${view.message}.`;
    case 'access_denied':
      return 'The sign-in was denied on the Portal. Sign in again, or paste an enrollment token.';
    case 'expired_token':
      return 'The code expired before it was approved on the Portal. Sign in again to get a new one.';
    case 'insufficient_scope':
      return 'This Portal account may not issue enrollment tokens. Ask an administrator, or paste a token.';
    case 'portal_error':
    case undefined:
      return `Sign-in failed: ${view.message}`;
    default:
      return assertNever(view.reason);
  }
}

/** An ISO time as the user's local date and time. */
const localTime = (iso: string): string => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function statusText(state: SignInState): string {
  if (state.kind === 'signed_in') {
    return `Signed in as ${state.userName} (${state.orgIdentity}). Each drive flashed until ${localTime(state.expiresAt)} gets an enrollment token of its own.`;
  }
  if (state.kind !== 'running') return '';
  const view = state.view;
  switch (view.state) {
    case 'starting':
      return 'Asking the Portal for a sign-in code…';
    case 'awaiting_user':
      return `Waiting for you to approve the sign-in on the Portal (the code expires in about ${Math.max(1, Math.round(view.expiresIn / 60))} min)…`;
    case 'signed_in':
      return `Signed in as ${view.userName} (${view.orgIdentity}).`;
    case 'cancelled':
      return 'Sign-in cancelled.';
    case 'failed':
      return '';
    default:
      return assertNever(view);
  }
}

function errorText(state: SignInState): string | undefined {
  if (state.kind === 'refused') return `Cannot sign in: ${state.message}`;
  if (state.kind === 'running' && state.view.state === 'failed') return failureText(state.view);
  return undefined;
}

/**
 * "Sign in to the Portal" (RFC 8628 from the desktop): the user code, the link to approve it and the same link as a
 * QR code, a cancel while it waits; once approved, the flash mints one enrollment token per drive through the
 * sign-in (`onSignedIn` gets its id). One button changes its job (sign in ↔ cancel), so keyboard focus stays on it.
 */
export function PortalSignIn(props: { bridge: EngineClient; portalUrl: string; onSignedIn: (signInId: string) => void }) {
  const signIn = usePortalSignIn(props.bridge, props.onSignedIn);
  const [missingUrl, setMissingUrl] = useState(false);
  const { state } = signIn;
  const view = state.kind === 'running' ? state.view : undefined;
  const signedIn = state.kind === 'signed_in' || view?.state === 'signed_in';
  const waiting = view !== undefined && (view.state === 'starting' || view.state === 'awaiting_user');
  const error = missingUrl ? 'Enter the Portal URL first.' : errorText(state);
  const status = statusText(state);

  function onClick(): void {
    if (waiting) return signIn.cancel();
    if (props.portalUrl.trim() === '') return setMissingUrl(true);
    setMissingUrl(false);
    signIn.start(props.portalUrl.trim());
  }

  return (
    <div className="portal-sign-in" data-state={state.kind === 'running' ? state.view.state : state.kind}>
      <div className="row sign-in-row">
        <button type="button" onClick={onClick} aria-describedby={error ? 'portal-sign-in-error' : 'portal-sign-in-hint'}>
          {waiting ? 'Cancel sign-in' : signedIn ? 'Sign in again' : 'Sign in to the Portal'}
        </button>
        <p className="hint" id="portal-sign-in-hint">
          Gets an enrollment token of its own for every drive you flash, instead of pasting one below (a pasted token enrols one node).
        </p>
      </div>
      <p className={`sign-in-status ${signedIn ? 'signed-in' : ''}`} role="status" aria-live="polite">
        {status}
      </p>
      {view?.state === 'awaiting_user' && (
        <div className="device-code">
          <div>
            <p className="label" id="sign-in-code-label">
              Approve this code on the Portal
            </p>
            <output className="user-code" aria-labelledby="sign-in-code-label">
              {view.userCode}
            </output>
            <p>
              at{' '}
              <a href={view.verificationUriComplete} target="_blank" rel="noopener noreferrer">
                {view.verificationUri}
              </a>{' '}
              (the link fills the code in)
            </p>
          </div>
          <img className="qr" src={svgDataUrl(view.qrSvg)} width={168} height={168} alt={`QR code of the Portal link to approve code ${view.userCode}`} />
        </div>
      )}
      {error && (
        <p className="field-error" id="portal-sign-in-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
