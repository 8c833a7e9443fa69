import { z } from 'zod';
import { ERROR_CODES, type MaculaErrorCode, type ReportedErrorCode } from './errors';

/**
 * Errors as they cross a process boundary (IPC answers, engine events, the writer protocol): a stable code from
 * ERROR_CODES, never a free string, so a code the receiver does not know is refused at its schema, not shown.
 */

const MACULA_CODES = Object.values(ERROR_CODES).flat() as [MaculaErrorCode, ...MaculaErrorCode[]];

/** One of our codes: what a MaculaError carries. */
export const maculaErrorCodeSchema = z.enum(MACULA_CODES);

/** One of our codes, or ERR_INTERNAL for a failure that was no MaculaError (a bug, reported rather than hidden). */
export const reportedErrorCodeSchema = z.enum([...MACULA_CODES, 'ERR_INTERNAL'] as [ReportedErrorCode, ...ReportedErrorCode[]]);

/**
 * A MaculaError's structured fields that may cross (shared/errors.ts ErrorDetails): where and what differed. Not `url`:
 * a mirror or Portal URL may carry credentials, and the message already says what the user needs of it.
 */
export const ipcErrorDetailsSchema = z.strictObject({
  expected: z.union([z.string(), z.number()]).optional(),
  actual: z.union([z.string(), z.number()]).optional(),
  offset: z.number().int().nonnegative().optional(),
  path: z.string().optional(),
  status: z.number().int().optional(),
});
export type IpcErrorDetails = z.infer<typeof ipcErrorDetailsSchema>;
