import type { EngineEvent } from '../../../shared/ipc-events';

export type EventListener = (event: EngineEvent) => void;

/**
 * Fan-out of engine events to whoever listens (SSE connections, an Electron window). Listeners that throw are
 * dropped from that one delivery, never allowed to break the engine; `onActive` tells when the first listener comes
 * and the last goes, so pollers (the drive watch) run only while someone looks.
 */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly onActive: (active: boolean) => void = () => undefined) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.onActive(true);
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.onActive(false);
    };
  }

  emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A broken connection is cleaned up by its own close handler; the others still get the event.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
