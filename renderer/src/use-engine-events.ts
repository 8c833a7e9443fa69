import { useEffect, useRef } from 'react';
import { type EngineEvent, engineEventSchema } from '../../shared/ipc-events';
import type { EngineClient } from './bridge';

/** Calls `onEvent` with every engine event that passes its schema; anything else is dropped (it crossed a boundary). */
export function useEngineEvents(bridge: EngineClient, onEvent: (event: EngineEvent) => void): void {
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(
    () =>
      bridge.onEvent((raw) => {
        const parsed = engineEventSchema.safeParse(raw);
        if (parsed.success) latest.current(parsed.data);
      }),
    [bridge],
  );
}
