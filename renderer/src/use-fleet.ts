import { useCallback, useEffect, useRef, useState } from 'react';
import type { EngineEvent } from '../../shared/ipc-events';
import { type EngineClient, EngineError, messageOf } from './bridge';
import type { FleetEvent } from '../../shared/ipc-events';
import { EMPTY_FLEET, type FleetModel, reduceFleetBatch, withList } from './fleet-model';
import { useEngineEvents } from './use-engine-events';

export interface FleetControls {
  readonly model: FleetModel;
  /** Why the fleet could not be listed or watched, if it could not. */
  readonly problem: string | undefined;
  pair(nodeId: string): void;
  /** Adopts a node waiting with a setup code on its console, then pairs it. */
  adopt(nodeId: string, code: string): void;
  cancel(nodeId: string): void;
  dismiss(nodeId: string): void;
}

/**
 * The fleet view's engine side: a discovery lease held (and renewed) while mounted, the list fetched and fetched again
 * when the engine says the inventory changed, discovery and pairing events folded into the model.
 */
export function useFleet(bridge: EngineClient): FleetControls {
  const [model, setModel] = useState<FleetModel>(EMPTY_FLEET);
  const [problem, setProblem] = useState<string>();
  const listing = useRef<Promise<void> | undefined>(undefined);
  const again = useRef(false);
  const modelRef = useRef(model);
  modelRef.current = model;
  // Events are folded once per animation frame: a thousand nodes answering at once is one render, not a thousand.
  const pending = useRef<FleetEvent[]>([]);
  const frame = useRef<number | undefined>(undefined);
  const flush = useCallback((): void => {
    frame.current = undefined;
    const events = pending.current;
    pending.current = [];
    setModel((m) => reduceFleetBatch(m, events));
  }, []);
  useEffect(() => () => {
    if (frame.current !== undefined) cancelAnimationFrame(frame.current);
  }, []);

  // One list at a time; a change during one asks for one more after it, never a pile of them.
  const refresh = useCallback((): void => {
    if (listing.current) {
      again.current = true;
      return;
    }
    listing.current = bridge
      .invoke('fleet.list', {})
      .then((list) => setModel((m) => withList(m, list)), (e: unknown) => setProblem(`Cannot list the fleet: ${messageOf(e)}`))
      .finally(() => {
        listing.current = undefined;
        if (again.current) {
          again.current = false;
          refresh();
        }
      });
  }, [bridge]);

  useEffect(() => {
    let watchId: string | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    let gone = false;
    const renew = (): Promise<void> =>
      bridge.invoke('fleet.watch', watchId !== undefined ? { watchId } : {}).then((lease) => {
        watchId = lease.watchId;
        if (gone) void bridge.invoke('fleet.unwatch', { watchId }).catch(() => undefined);
        return lease.leaseMs;
      }).then((leaseMs) => {
        // Renewed well within the lease, so one late answer never lets it lapse.
        if (timer === undefined && !gone) timer = setInterval(() => void renew().catch(() => undefined), Math.max(1000, leaseMs / 3));
      });
    renew()
      .then(refresh, (e: unknown) => setProblem(`Cannot look for nodes: ${messageOf(e)}`));
    return () => {
      gone = true;
      clearInterval(timer);
      if (watchId !== undefined) void bridge.invoke('fleet.unwatch', { watchId }).catch(() => undefined);
    };
  }, [bridge, refresh]);

  useEngineEvents(bridge, (event: EngineEvent) => {
    if (event.type === 'fleet.inventory') refresh();
    else if (event.type === 'fleet.node' || event.type === 'fleet.pairing') {
      pending.current.push(event);
      frame.current ??= requestAnimationFrame(flush);
    }
  });

  // Stable across renders, so the memoized node cards do not re-render for every change of the fleet.
  const start = useCallback((nodeId: string, code?: string): void => {
    setModel((m) => ({ ...m, pairings: { ...m.pairings, [nodeId]: { pairingId: undefined, status: { state: code === undefined ? 'proving' : 'adopting' } } } }));
    (code === undefined ? bridge.invoke('fleet.pair', { nodeId }) : bridge.invoke('fleet.adopt', { nodeId, code })).then(
      ({ pairingId }) =>
        // Its events may have come first (they travel apart from the answer): keep the newest status.
        setModel((m) => ({ ...m, pairings: { ...m.pairings, [nodeId]: { pairingId, status: m.pairings[nodeId]?.pairingId === pairingId ? (m.pairings[nodeId]?.status ?? { state: 'proving' }) : { state: 'proving' } } } })),
      (e: unknown) => setModel((m) => ({ ...m, pairings: { ...m.pairings, [nodeId]: { pairingId: undefined, status: { state: 'failed', code: e instanceof EngineError ? e.code : 'ERR_INTERNAL', message: messageOf(e) } } } })),
    );
  }, [bridge]);

  const cancel = useCallback((nodeId: string): void => {
    const pairingId = modelRef.current.pairings[nodeId]?.pairingId;
    if (pairingId !== undefined) void bridge.invoke('fleet.pairCancel', { pairingId }).catch(() => undefined);
  }, [bridge]);

  const dismiss = useCallback((nodeId: string): void =>
    setModel((m) => {
      const pairings = { ...m.pairings };
      delete pairings[nodeId];
      return { ...m, pairings };
    }), []);

  const pair = useCallback((nodeId: string): void => start(nodeId), [start]);
  return { model, problem, pair, adopt: start, cancel, dismiss };
}
