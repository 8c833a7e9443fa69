import { z } from 'zod';
import { reportedErrorCodeSchema } from './ipc-error';
import { enrollmentTokenSchema } from './fleet/seed-formats';

/**
 * The Customise step's "Sign in to the Portal": the engine runs the OAuth 2.0 Device Authorization Grant (RFC 8628)
 * against the Portal URL and mints an enrollment token for the signed-in user. Progress is pushed as `portal.signIn`
 * events without secrets; the enrollment token is handed over once, by `portal.signInClaim`, and goes into the seed
 * form as a pasted one would. The access token never leaves the engine.
 */

const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const signInId = z.string().min(1).max(64);

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

/** `portal.signInClaim`: the minted enrollment token, once, after a `signed_in` event; the engine forgets it then. */
export const portalSignInClaimChannel = {
  request: z.strictObject({ signInId }),
  response: z.strictObject({
    enrollmentToken: enrollmentTokenSchema,
    expiresAt: z.iso.datetime({ offset: true }),
    userName: z.string(),
    orgIdentity: z.string(),
  }),
} as const;
export type SignInClaim = z.infer<(typeof portalSignInClaimChannel)['response']>;

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
  /** Approved: the engine is asking the Portal for the enrollment token. */
  z.strictObject({ state: z.literal('issuing') }),
  /** Ready to claim (no secret here). */
  z.strictObject({ state: z.literal('signed_in'), userName: z.string(), orgIdentity: z.string() }),
  z.strictObject({ state: z.literal('failed'), code: reportedErrorCodeSchema, reason: z.enum(SIGN_IN_FAILURES).optional(), message: z.string() }),
  z.strictObject({ state: z.literal('cancelled') }),
]);
export type SignInView = z.infer<typeof signInViewSchema>;

/** The events of the sign-in (members of engineEventSchema). */
export const portalEventSchemas = [z.strictObject({ type: z.literal('portal.signIn'), signInId, status: signInViewSchema })] as const;
