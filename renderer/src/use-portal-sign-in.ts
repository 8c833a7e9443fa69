import { useEffect, useRef, useState } from 'react';
import type { SignInView } from '../../shared/ipc-portal';
import { type EngineClient, messageOf } from './bridge';
import { useEngineEvents } from './use-engine-events';

/** The sign-in as the Customise step follows it: not started, running (with the engine's latest view), or a refusal. */
export type SignInState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'running'; readonly signInId: string | undefined; readonly view: SignInView }
  /** Signed in: the flash names `signInId`, and the engine mints one enrollment token per target through it. */
  | { readonly kind: 'signed_in'; readonly signInId: string; readonly userName: string; readonly orgIdentity: string; readonly expiresAt: string }
  | { readonly kind: 'refused'; readonly message: string };

export interface PortalSignInControls {
  readonly state: SignInState;
  start(portalUrl: string): void;
  cancel(): void;
}

/**
 * Runs `portal.signIn` and follows its `portal.signIn` events; on `signed_in` hands the sign-in's id to `onSignedIn`
 * (the flash names it; no token crosses to this page). Events can overtake the call's answer (the engine reports
 * `starting` at once), so the latest view of every sign-in id is kept until the id is known.
 */
export function usePortalSignIn(bridge: EngineClient, onSignedIn: (signInId: string) => void): PortalSignInControls {
  const [state, setState] = useState<SignInState>({ kind: 'idle' });
  const current = useRef<string | undefined>(undefined);
  const early = useRef(new Map<string, SignInView>());
  // Cancel pressed before the engine named the sign-in: cancelled as soon as it does.
  const cancelPending = useRef(false);
  const latestOnSignedIn = useRef(onSignedIn);
  latestOnSignedIn.current = onSignedIn;

  function show(signInId: string, view: SignInView): void {
    if (view.state !== 'signed_in') return setState({ kind: 'running', signInId, view });
    latestOnSignedIn.current(signInId);
    setState({ kind: 'signed_in', signInId, userName: view.userName, orgIdentity: view.orgIdentity, expiresAt: view.expiresAt });
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
