import type { DriveSource } from '../drives/list-drives';
import { watchDrives } from '../drives/watch-drives';
import type { EventHub } from './event-hub';

/**
 * Polls the OS drives while `active` says someone listens, and emits `drives.changed` on every change (hot-plug).
 * Returns the switch to hand to the EventHub.
 */
export function driveWatchSwitch(hub: () => EventHub, options: { intervalMs: number; source?: DriveSource }): (active: boolean) => void {
  let stop: AbortController | undefined;
  return (active) => {
    stop?.abort();
    stop = undefined;
    if (!active) return;
    const controller = new AbortController();
    stop = controller;
    void (async () => {
      const added: string[] = [];
      const removed: string[] = [];
      try {
        for await (const change of watchDrives({ intervalMs: options.intervalMs, signal: controller.signal, ...(options.source ? { source: options.source } : {}) })) {
          (change.kind === 'added' ? added : removed).push(change.drive.device);
          // watchDrives yields one poll's changes back to back; a microtask later they are all in.
          queueMicrotask(() => {
            if (added.length + removed.length === 0 || controller.signal.aborted) return;
            hub().emit({ type: 'drives.changed', added: added.splice(0), removed: removed.splice(0) });
          });
        }
      } catch {
        // A failing poll (drivelist unavailable) ends the watch; drives.list still works on demand.
      }
    })();
  };
}
