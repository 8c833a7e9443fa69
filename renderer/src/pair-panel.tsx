import { useEffect, useRef } from 'react';
import { assertNever } from '../../shared/errors';
import type { PairingView } from '../../shared/ipc-fleet';
import { type PairingEntry, pairingActive } from './fleet-model';

function statusText(status: PairingView): string {
  switch (status.state) {
    case 'adopting':
      return 'Adopting the node with its setup code (the code never crosses the network)…';
    case 'proving':
      return 'Checking that the node proves the key seeded into it…';
    case 'starting':
      return 'The node is starting its Portal exchange…';
    case 'redeeming':
      return 'The node is redeeming its enrollment token with the Portal…';
    case 'awaiting_user':
      return `Waiting for approval on the Portal (the code expires in about ${Math.max(1, Math.round(status.expiresIn / 60))} min)…`;
    case 'paired':
      return `Paired for ${status.userName} in ${status.orgIdentity}.`;
    case 'failed':
      return `Pairing failed: ${status.message}`;
    case 'cancelled':
      return 'Pairing cancelled. The node forgets the code when it expires.';
    default:
      return assertNever(status);
  }
}

/** The QR code comes as SVG from the engine; as an <img> it can never run or style anything on this page. */
const svgDataUrl = (svg: string): string => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

/**
 * Pairing one node, the desktop in place of the phone (RFC 8628 §3.3): the user code in large type, the link to enter
 * it, and the complete link as a QR code for a phone that is at hand; the live status; cancel while it runs.
 */
export function PairPanel(props: { name: string; pairing: PairingEntry; onCancel: () => void; onDismiss: () => void }) {
  const { status } = props.pairing;
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus follows the user into the panel they just opened.
  useEffect(() => heading.current?.focus(), []);
  const active = pairingActive(status);
  const id = `pair-${props.name.replace(/[^a-z0-9-]/gi, '')}`;
  return (
    <section className="pair-panel" aria-labelledby={`${id}-title`} data-state={status.state}>
      <h4 id={`${id}-title`} tabIndex={-1} ref={heading}>
        Pairing {props.name}
      </h4>
      <p className={`pair-status ${status.state}`} role="status" aria-live="polite">
        {statusText(status)}
        {status.state === 'failed' && <> <span className="code">({status.code})</span></>}
      </p>
      {status.state === 'awaiting_user' && (
        <div className="device-code">
          <div>
            <p className="label" id={`${id}-code-label`}>
              Enter this code on the Portal
            </p>
            <output className="user-code" aria-labelledby={`${id}-code-label`}>
              {status.userCode}
            </output>
            <p>
              at{' '}
              <a href={status.verificationUri} target="_blank" rel="noopener noreferrer">
                {status.verificationUri}
              </a>
            </p>
            {status.verificationUriComplete && (
              <p>
                or open{' '}
                <a href={status.verificationUriComplete} target="_blank" rel="noopener noreferrer">
                  the link with the code filled in
                </a>
                .
              </p>
            )}
          </div>
          <img className="qr" src={svgDataUrl(status.qrSvg)} width={168} height={168} alt={`QR code of the link to approve code ${status.userCode}`} />
        </div>
      )}
      <div className="actions">
        {active ? (
          <button type="button" onClick={props.onCancel} disabled={props.pairing.pairingId === undefined}>
            Cancel pairing
          </button>
        ) : (
          <button type="button" onClick={props.onDismiss}>
            Close
          </button>
        )}
      </div>
    </section>
  );
}
