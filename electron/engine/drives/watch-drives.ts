import { setTimeout as sleep } from 'node:timers/promises';
import type { Drive } from '../../../shared/drive';
import { type DriveSource, listDrives } from './list-drives';

/** A drive appeared or went away between two polls. */
export interface DriveChange {
  readonly kind: 'added' | 'removed';
  readonly drive: Drive;
}

export interface WatchDrivesOptions {
  /** Time between two polls. */
  readonly intervalMs: number;
  /** Ends the watch; the iteration then finishes without an error. */
  readonly signal: AbortSignal;
  readonly source?: DriveSource;
}

/** The changes from `before` to `after`, drives matched by device path: removals first, then additions. */
export function diffDrives(before: ReadonlyMap<string, Drive>, after: ReadonlyMap<string, Drive>): DriveChange[] {
  const removed = [...before.values()].filter((d) => !after.has(d.device)).map((drive) => ({ kind: 'removed' as const, drive }));
  const added = [...after.values()].filter((d) => !before.has(d.device)).map((drive) => ({ kind: 'added' as const, drive }));
  return [...removed, ...added];
}

/**
 * Polls the drives every `intervalMs` and yields what changed. The drives present at the first poll come as `added`,
 * so a consumer builds its list from this stream alone. Stops when `signal` aborts; a failing poll ends it with the error.
 */
export async function* watchDrives({ intervalMs, signal, source }: WatchDrivesOptions): AsyncGenerator<DriveChange> {
  let known = new Map<string, Drive>();
  while (!signal.aborted) {
    const current = new Map((await listDrives(source)).map((d) => [d.device, d] as const));
    if (signal.aborted) return;
    yield* diffDrives(known, current);
    known = current;
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      return;
    }
  }
}
