import { useEffect, useRef, useState } from 'react';
import type { SignInClaim, SignInView } from '../../shared/ipc-portal';
import { type EngineClient, messageOf } from './bridge';
import { useEngineEvents } from './use-engine-events';

/** The sign-in as the Customise step follows it: not started, running (with the engine's latest view), or a refusal. */
export type SignInState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'running'; readonly signInId: string | undefined; readonly view: SignInView }
  /** The token is in the form. */
  | { readonly kind: 'signed_in'; readonly userName: string; readonly orgIdentity: string; readonly expiresAt: string }
  | { readonly kind: 'refused'; readonly message: string };

export interface PortalSignInControls {
  readonly state: SignInState;
  start(portalUrl: string): void;
  cancel(): void;
}

/**
 * Runs `portal.signIn` and follows its `portal.signIn` events; on `signed_in` claims the enrollment token once and
 * hands it to `onToken`. Events can overtake the call's answer (the engine reports `starting` at once), so the latest
 * view of every sign-in id is kept until the id is known.
 */
export function usePortalSignIn(bridge: EngineClient, onToken: (claim: SignInClaim) => void): PortalSignInControls {
  const [state, setState] = useState<SignInState>({ kind: 'idle' });
  const current = useRef<string | undefined>(undefined);
  const early = useRef(new Map<string, SignInView>());
  const claimed = useRef(new Set<string>());
  // Cancel pressed before the engine named the sign-in: cancelled as soon as it does.
  const cancelPending = useRef(false);
  const latestOnToken = useRef(onToken);
  latestOnToken.current = onToken;

  function claim(signInId: string): void {
    if (claimed.current.has(signInId)) return;
    claimed.current.add(signInId);
    bridge.invoke('portal.signInClaim', { signInId }).then(
      (c) => {
        if (current.current !== signInId) return;
        latestOnToken.current(c);
        setState({ kind: 'signed_in', userName: c.userName, orgIdentity: c.orgIdentity, expiresAt: c.expiresAt });
      },
      (e: unknown) => setState({ kind: 'refused', message: `Could not take the enrollment token: ${messageOf(e)}` }),
    );
  }

  function show(signInId: string, view: SignInView): void {
    setState({ kind: 'running', signInId, view });
    if (view.state === 'signed_in') claim(signInId);
  }

  // Leaving the Customise step ends a sign-in still waiting: nobody is left to show its code or take its token.
  useEffect(
    () => () => {
      const signInId = current.current;
      current.current = undefined;
      if (signInId !== undefined) void bridge.invoke('portal.signInCancel', { signInId }).catch(() => undefined);
    },
    [bridge],
  );

  useEngineEvents(bridge, (event) => {
    if (event.type !== 'portal.signIn') return;
    if (event.signInId === current.current) show(event.signInId, event.status);
    else if (current.current === undefined) early.current.set(event.signInId, event.status);
  });

  return {
    state,
    start(portalUrl) {
      early.current.clear();
      current.current = undefined;
      cancelPending.current = false;
      setState({ kind: 'running', signInId: undefined, view: { state: 'starting' } });
      bridge.invoke('portal.signIn', { portalUrl }).then(
        ({ signInId }) => {
          current.current = signInId;
          show(signInId, early.current.get(signInId) ?? { state: 'starting' });
          early.current.clear();
          if (cancelPending.current) void bridge.invoke('portal.signInCancel', { signInId }).catch(() => undefined);
        },
        (e: unknown) => setState({ kind: 'refused', message: messageOf(e) }),
      );
    },
    cancel() {
      const signInId = current.current;
      cancelPending.current = signInId === undefined;
      if (signInId !== undefined) void bridge.invoke('portal.signInCancel', { signInId }).catch(() => undefined);
    },
  };
}
