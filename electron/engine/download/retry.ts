import { setTimeout as delay } from 'node:timers/promises';
import { MaculaError, isMaculaError } from '../../../shared/errors';

/** Transient failures worth another attempt: network drops, idle timeouts, and server-side statuses. */
export function isRetryable(err: unknown): boolean {
  if (isMaculaError(err, 'ERR_NETWORK') || isMaculaError(err, 'ERR_HTTP_TIMEOUT')) return true;
  if (isMaculaError(err, 'ERR_HTTP_STATUS')) {
    const status = err.details.status ?? 0;
    // RFC 9110 §15.5.9 408, RFC 6585 §4 429, and 5xx (§15.6) may succeed later; other 4xx will not.
    return status === 408 || status === 429 || status >= 500;
  }
  return false;
}

/** Exponential backoff: 250 ms, 500 ms, 1 s, ... capped at 8 s. */
export function backoffMs(attempt: number): number {
  return Math.min(8_000, 250 * 2 ** attempt);
}

/** Waits, turning an abort during the wait into ERR_ABORTED. */
export async function sleep(ms: number, signal: AbortSignal | undefined, url: string): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    throw new MaculaError('ERR_ABORTED', `aborted: ${url}`, { url }, { cause: err });
  }
}
