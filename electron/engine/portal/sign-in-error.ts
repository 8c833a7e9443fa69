import { MaculaError } from '../../../shared/errors';
import type { SignInFailure } from '../../../shared/ipc-portal';

/** The desktop's Portal sign-in ended without an enrollment token; `reason` says why in a word the UI can switch on. */
export class PortalSignInError extends MaculaError {
  constructor(
    readonly reason: SignInFailure,
    message: string,
    details: { url?: string; status?: number } = {},
  ) {
    super('ERR_SIGN_IN_FAILED', message, details);
  }
}
