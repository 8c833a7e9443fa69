import { randomUUID } from 'node:crypto';
import { toString as qrString } from 'qrcode';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import type { PortalEvent } from '../../../shared/ipc-events';
import type { SignInView } from '../../../shared/ipc-portal';
import { type MintedToken, type PortalSession, type TokenTarget, portalBase, signInToPortal } from '../portal/desktop-sign-in';
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

/** How long a sign-in stays usable for flashes when the Portal names no access-token lifetime. */
const SESSION_TTL_MS = 60 * 60_000;

/**
 * The sign-ins the Customise step runs (`portal.signIn`), reported as `portal.signIn` events. A signed-in session is
 * held here, by its id, until it expires: a flash naming the id (`flash.start`'s `portalSignInId`) mints one
 * enrollment token per target through it. Nothing secret leaves the engine: events carry the user code and who signed
 * in, never the access token or a minted enrollment token (those go only into the seeds).
 */
export class PortalSignIns {
  private readonly running = new Map<string, AbortController>();
  private readonly sessions = new Map<string, { session: PortalSession; timer: NodeJS.Timeout }>();

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
        signInToPortal({
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
        }),
      )
      .then(
        (session) => {
          const ttl = session.expiresIn === undefined ? SESSION_TTL_MS : session.expiresIn * 1000;
          const expiresAt = new Date(Date.now() + ttl).toISOString();
          const timer = setTimeout(() => this.sessions.delete(signInId), ttl);
          timer.unref();
          this.sessions.set(signInId, { session, timer });
          enqueue(() => ({ state: 'signed_in', userName: session.userName, orgIdentity: session.orgIdentity, expiresAt }));
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

  /**
   * One enrollment token per node through the signed-in session `signInId` (a flash's seeds, before any write), for
   * the seed's Portal `portalUrl`, which must be the one signed in to: a token of one Portal is no use to another.
   */
  mint(signInId: string, nodes: readonly TokenTarget[], signal: AbortSignal, portalUrl: string): Promise<MintedToken[]> {
    const held = this.sessions.get(signInId);
    if (!held) throw new MaculaError('ERR_USAGE', 'the Portal sign-in has expired or never finished: sign in to the Portal again');
    if (portalBase(portalUrl, true).href !== held.session.portalUrl) {
      throw new MaculaError('ERR_USAGE', `the sign-in is for ${held.session.portalUrl}, the seed names ${portalUrl}: sign in to that Portal`, { field: 'portalUrl' });
    }
    return held.session.mintEnrollmentTokens(nodes, signal);
  }

  cancelAll(): void {
    for (const c of this.running.values()) c.abort();
    for (const { timer } of this.sessions.values()) clearTimeout(timer);
    this.sessions.clear();
  }
}

function failureView(e: unknown, signal: AbortSignal): SignInView {
  if (signal.aborted || isMaculaError(e, 'ERR_ABORTED')) return { state: 'cancelled' };
  if (e instanceof PortalSignInError) return { state: 'failed', code: e.code, reason: e.reason, message: e.message };
  return { state: 'failed', code: isMaculaError(e) ? e.code : 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
