import { z } from 'zod';
import { reportedErrorCodeSchema } from './ipc-error';

/**
 * The Customise step's "Sign in to the Portal": the engine runs the OAuth 2.0 Device Authorization Grant (RFC 8628)
 * against the Portal URL and keeps the signed-in session. Progress is pushed as `portal.signIn` events without
 * secrets. The flash that names the sign-in mints one enrollment token per target through it, each for its node (a
 * token is redeemable once, so one token copied into N seeds would enrol one node of N); neither the access token nor
 * an enrollment token ever leaves the engine.
 */

/** A sign-in's id, as `flash.start` names it. */
export const signInIdSchema = z.string().min(1).max(64);

const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const signInId = signInIdSchema;

/** Why a sign-in ended without a token, for the message beside the button. */
export const SIGN_IN_FAILURES = ['portal_unreachable', 'portal_error', 'access_denied', 'expired_token', 'insufficient_scope'] as const;
export type SignInFailure = (typeof SIGN_IN_FAILURES)[number];

/** `portal.signIn`: starts a sign-in against `portalUrl`; everything after the id comes as `portal.signIn` events. */
export const portalSignInChannel = {
  request: z.strictObject({ portalUrl: z.string().min(1).max(2048) }),
  response: z.strictObject({ signInId: z.string().min(1) }),
} as const;

/** `portal.signInCancel`: stops polling (the Portal forgets the code when it expires). */
export const portalSignInCancelChannel = {
  request: z.strictObject({ signInId }),
  response: z.strictObject({ cancelled: z.boolean() }),
} as const;

/** A sign-in as the Customise step shows it, a union on `state`. */
export const signInViewSchema = z.discriminatedUnion('state', [
  z.strictObject({ state: z.literal('starting') }),
  /** RFC 8628 §3.3: the user enters `userCode` at `verificationUri`, or opens the complete link (the QR code). */
  z.strictObject({
    state: z.literal('awaiting_user'),
    userCode: z.string().regex(/^[\x21-\x7e]{1,32}$/),
    verificationUri: httpUrl,
    verificationUriComplete: httpUrl,
    expiresIn: z.number().int().nonnegative(),
    /** The complete link as a QR code, SVG made by the engine (shown as an image, never inlined as markup). */
    qrSvg: z.string().startsWith('<svg').max(200_000),
  }),
  /**
   * Approved: a flash naming this sign-in (`flash.start`'s `portalSignInId`) mints one enrollment token per target
   * until `expiresAt`. No secret here.
   */
  z.strictObject({ state: z.literal('signed_in'), userName: z.string(), orgIdentity: z.string(), expiresAt: z.iso.datetime({ offset: true }) }),
  z.strictObject({ state: z.literal('failed'), code: reportedErrorCodeSchema, reason: z.enum(SIGN_IN_FAILURES).optional(), message: z.string() }),
  z.strictObject({ state: z.literal('cancelled') }),
]);
export type SignInView = z.infer<typeof signInViewSchema>;

/** The events of the sign-in (members of engineEventSchema). */
export const portalEventSchemas = [z.strictObject({ type: z.literal('portal.signIn'), signInId, status: signInViewSchema })] as const;
