import { randomUUID } from 'node:crypto';
import { toString as qrString } from 'qrcode';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import type { PortalEvent } from '../../../shared/ipc-events';
import type { SignInClaim, SignInView } from '../../../shared/ipc-portal';
import { type DesktopSignInResult, portalBase, signInForEnrollmentToken } from '../portal/desktop-sign-in';
import type { FlowClock } from '../portal/device-flow';
import type { PortalHttpOptions } from '../portal/portal-http';
import { PortalSignInError } from '../portal/sign-in-error';

export interface PortalSignInsOptions {
  readonly emit: (event: PortalEvent) => void;
  /** How the engine reaches Portals: an extra CA, plain http (tests only). */
  readonly http?: PortalHttpOptions;
  /** The user's extra CA bundle (extra-ca.ts), read at each sign-in; `http.ca`, when given, wins. */
  readonly extraCa?: () => Promise<Buffer | undefined>;
  readonly clock?: FlowClock;
}

/** How long a minted token waits to be claimed before the engine forgets it (the form normally claims at once). */
const CLAIM_TTL_MS = 5 * 60_000;

/**
 * The sign-ins the Customise step runs (`portal.signIn`), reported as `portal.signIn` events. A minted enrollment
 * token is held until `portal.signInClaim` takes it, once; events never carry it (they reach every open window).
 */
export class PortalSignIns {
  private readonly running = new Map<string, AbortController>();
  private readonly minted = new Map<string, { result: DesktopSignInResult; timer: NodeJS.Timeout }>();

  constructor(private readonly options: PortalSignInsOptions) {}

  start(portalUrl: string): { signInId: string } {
    // A bad URL is refused here, beside the field, rather than as an event.
    portalBase(portalUrl, this.options.http?.allowHttp ?? false);
    const signInId = randomUUID();
    const controller = new AbortController();
    this.running.set(signInId, controller);
    const report = (status: SignInView): void => this.options.emit({ type: 'portal.signIn', signInId, status });
    // Views are made one after the other (the QR code takes a moment), so they arrive in order.
    let queue = Promise.resolve();
    const enqueue = (make: () => Promise<SignInView> | SignInView): void => {
      queue = queue.then(async () => report(await make())).catch(() => undefined);
    };
    enqueue(() => ({ state: 'starting' }));
    void this.httpOptions()
      .then((http) =>
        signInForEnrollmentToken({
          portalUrl,
          signal: controller.signal,
          ...http,
          ...(this.options.clock ? { clock: this.options.clock } : {}),
          onCodes: (codes) =>
            enqueue(async () => ({
              state: 'awaiting_user',
              userCode: codes.user_code,
              verificationUri: codes.verification_uri,
              verificationUriComplete: codes.verification_uri_complete,
              expiresIn: codes.expires_in,
              qrSvg: await qrString(codes.verification_uri_complete, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
            })),
          onApproved: () => enqueue(() => ({ state: 'issuing' })),
        }),
      )
      .then(
        (result) => {
          const timer = setTimeout(() => this.minted.delete(signInId), CLAIM_TTL_MS);
          timer.unref();
          this.minted.set(signInId, { result, timer });
          enqueue(() => ({ state: 'signed_in', userName: result.userName, orgIdentity: result.orgIdentity }));
        },
        (e: unknown) => enqueue(() => failureView(e, controller.signal)),
      )
      .finally(() => this.running.delete(signInId));
    return { signInId };
  }

  private async httpOptions(): Promise<PortalHttpOptions> {
    const http = this.options.http ?? {};
    if (http.ca !== undefined) return http;
    const ca = await this.options.extraCa?.();
    return ca ? { ...http, ca } : http;
  }

  cancel(signInId: string): boolean {
    const controller = this.running.get(signInId);
    controller?.abort();
    return controller !== undefined;
  }

  /** The minted token, once. */
  claim(signInId: string): SignInClaim {
    const held = this.minted.get(signInId);
    if (!held) throw new MaculaError('ERR_USAGE', 'no enrollment token is waiting for this sign-in (claimed already, or it never finished)');
    clearTimeout(held.timer);
    this.minted.delete(signInId);
    return { ...held.result };
  }

  cancelAll(): void {
    for (const c of this.running.values()) c.abort();
    for (const { timer } of this.minted.values()) clearTimeout(timer);
    this.minted.clear();
  }
}

function failureView(e: unknown, signal: AbortSignal): SignInView {
  if (signal.aborted || isMaculaError(e, 'ERR_ABORTED')) return { state: 'cancelled' };
  if (e instanceof PortalSignInError) return { state: 'failed', code: e.code, reason: e.reason, message: e.message };
  return { state: 'failed', code: isMaculaError(e) ? e.code : 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
