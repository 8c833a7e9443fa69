import type { Readable, Writable } from 'node:stream';

/** Our ends of a relay once the elevated writer has opened both of its ends. */
export interface RelayConnection {
  /** Requests to the writer (its stdin). */
  readonly input: Writable;
  /** Event lines from the writer (its stdout). */
  readonly output: Readable;
}

/** A relay whose endpoints exist and wait for the elevated writer. */
export interface PendingRelay {
  /** Resolves when the writer opened both ends; the endpoints are gone by then, so no one else can open them. */
  readonly connected: Promise<RelayConnection>;
  /**
   * Stops waiting: anything half-open is released and closed, the endpoints are removed. `connected` then rejects,
   * or, if it had already resolved, its streams stay the caller's. Safe to call more than once.
   */
  abandon(): Promise<void>;
}
