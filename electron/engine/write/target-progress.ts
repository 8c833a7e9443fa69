import { assertNever } from '../../../shared/errors';
import { ProgressMeter } from '../io/progress-meter';
import type { WritePhase, WriteProgress } from './write-types';

/**
 * Progress events of one target through its phases. Byte counting and rate smoothing are ProgressMeter's; it only
 * knows download phases, so its `phase` is replaced by this target's own. Nothing is emitted after `done` or `failed`.
 */
export class TargetProgress {
  private phase: WritePhase = 'writing';
  private meter: ProgressMeter;
  private bytes = 0;

  constructor(
    private readonly target: string,
    private readonly listener: ((progress: WriteProgress) => void) | undefined,
    private total: number | undefined,
  ) {
    this.meter = this.meterFor(0);
  }

  /** Counts `n` more image bytes in the current phase. */
  add(n: number): void {
    if (this.ended()) return;
    this.bytes += n;
    this.meter.add(n);
  }

  /** Moves to `phase`: a last event of the phase before, then events of the new one (a final phase keeps the count). */
  enter(phase: WritePhase, total?: number): void {
    if (this.ended()) return;
    this.meter.finish();
    this.phase = phase;
    if (total !== undefined) this.total = total;
    const final = this.ended();
    if (!final) this.bytes = 0;
    this.meter = this.meterFor(this.bytes);
    if (final) this.meter.finish();
  }

  private ended(): boolean {
    switch (this.phase) {
      case 'writing':
      case 'verifying':
        return false;
      case 'done':
      case 'failed':
        return true;
      default:
        return assertNever(this.phase);
    }
  }

  private meterFor(bytes: number): ProgressMeter {
    const { target, phase, total, listener } = this;
    const emit = listener
      ? (p: { bytes: number; rate: number; etaSeconds?: number }): void =>
          listener({
            target,
            phase,
            bytes: p.bytes,
            rate: p.rate,
            ...(total !== undefined ? { total } : {}),
            ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}),
          })
      : undefined;
    return new ProgressMeter('hashing', emit, total, bytes);
  }
}
