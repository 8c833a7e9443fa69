import { assertNever } from '../../shared/errors';
import type { FlashEvent, FlashTargetResult } from '../../shared/ipc-events';

/** Where one target of a running flash stands. */
export interface TargetState {
  /** `cancelled`: stopped by the user (ERR_ABORTED), told apart from a failure so the user knows they caused it. */
  readonly phase: 'waiting' | 'writing' | 'verifying' | 'done' | 'failed' | 'cancelled';
  readonly bytes: number;
  readonly total: number | undefined;
  readonly rate: number;
  readonly etaSeconds: number | undefined;
  readonly result: FlashTargetResult | undefined;
}

export type FlashStage = 'starting' | 'downloading' | 'checking' | 'writing' | 'finished';

/** A flash as the Flash step shows it, built from the engine's `flash.*` events only. */
export interface FlashState {
  readonly flashId: string;
  readonly stage: FlashStage;
  /** `verified`: the image is complete and matched its signed SHA-256 (the targets may be written meanwhile). */
  readonly download:
    | { readonly bytes: number; readonly total: number | undefined; readonly rate: number; readonly etaSeconds: number | undefined; readonly verified: boolean }
    | undefined;
  readonly targets: Readonly<Record<string, TargetState>>;
  readonly outcome: 'succeeded' | 'failed' | 'cancelled' | undefined;
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

const WAITING: TargetState = { phase: 'waiting', bytes: 0, total: undefined, rate: 0, etaSeconds: undefined, result: undefined };

export function initialFlash(flashId: string, targets: readonly string[]): FlashState {
  return { flashId, stage: 'starting', download: undefined, targets: Object.fromEntries(targets.map((t) => [t, WAITING])), outcome: undefined, error: undefined };
}

/** The state after one event; events of other flashes leave it as it is. */
export function reduceFlash(state: FlashState, event: FlashEvent): FlashState {
  if (event.flashId !== state.flashId) return state;
  switch (event.type) {
    case 'flash.stage': {
      const download = event.stage === 'downloading' ? { bytes: event.bytes, total: event.total, rate: event.rate, etaSeconds: event.etaSeconds, verified: false } : state.download;
      return { ...state, stage: event.stage, download };
    }
    case 'flash.download': {
      // Beside the writes, not a stage of its own: the stage stays what the targets make it.
      const download = { bytes: event.bytes, total: event.total, rate: event.rate, etaSeconds: event.etaSeconds, verified: event.verified };
      return { ...state, download };
    }
    case 'flash.progress': {
      const before = state.targets[event.target] ?? WAITING;
      // A finished target keeps its result; late progress never moves it back.
      if (before.result) return state;
      const next: TargetState = { ...before, phase: event.phase, bytes: event.bytes, total: event.total, rate: event.rate, etaSeconds: event.etaSeconds };
      return { ...state, stage: 'writing', targets: { ...state.targets, [event.target]: next } };
    }
    case 'flash.target': {
      const r = event.result;
      const before = state.targets[r.target] ?? WAITING;
      const phase: TargetState['phase'] = r.ok ? 'done' : r.error.code === 'ERR_ABORTED' ? 'cancelled' : 'failed';
      const next: TargetState = { ...before, phase, rate: 0, etaSeconds: undefined, result: r };
      return { ...state, targets: { ...state.targets, [r.target]: next } };
    }
    case 'flash.finished': {
      // A target the engine never reported on is not still being written: it stopped with the flash.
      const ended: TargetState['phase'] = event.outcome === 'cancelled' ? 'cancelled' : 'failed';
      const targets = Object.fromEntries(
        Object.entries(state.targets).map(([t, s]) => [t, s.result || s.phase === 'done' ? s : { ...s, phase: ended, rate: 0, etaSeconds: undefined }]),
      );
      return { ...state, stage: 'finished', outcome: event.outcome, error: event.error, targets };
    }
    default:
      return assertNever(event);
  }
}
