import type { EngineEvent } from '../../../shared/ipc-events';
import type { DriveSource } from '../drives/list-drives';
import { type IpcHandlers, createIpcHandlers } from '../ipc-handlers';
import { driveWatchSwitch } from './drive-watch';
import { EventHub } from './event-hub';
import { FlashSessions } from './flash-sessions';
import type { WriterLaunch } from './writer-launch';

export interface AppEngineOptions {
  /** How flashes reach the drives (in-process as root, else the elevated writer); decided per flash. */
  readonly launch: () => WriterLaunch;
  /** OS drives (default drivelist); tests inject theirs. */
  readonly driveSource?: DriveSource;
  /** Hot-plug poll interval while someone listens to events. */
  readonly drivePollMs?: number;
}

/** The engine as the app shells (Electron main, web server) use it: request handlers and one event stream. */
export interface AppEngine {
  readonly handlers: IpcHandlers;
  /** Subscribe to engine events; returns the unsubscribe. */
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** Cancels running flashes. */
  close(): void;
}

export function createAppEngine(options: AppEngineOptions): AppEngine {
  const hub: EventHub = new EventHub(driveWatchSwitch(() => hub, { intervalMs: options.drivePollMs ?? 2000, ...(options.driveSource ? { source: options.driveSource } : {}) }));
  const flashes = new FlashSessions(options.launch, (e) => hub.emit(e));
  return {
    handlers: createIpcHandlers({ flashes, ...(options.driveSource ? { driveSource: options.driveSource } : {}) }),
    subscribe: (listener) => hub.subscribe(listener),
    close: () => flashes.cancelAll(),
  };
}
