import type { ByteProgress, ProgressListener } from '../../../shared/progress';

/**
 * Turns byte counts into throttled progress events with a smoothed rate and an ETA.
 * Events are emitted at most every `intervalMs`, plus once on `finish()`.
 */
export class ProgressMeter {
  private rate = 0;
  private lastEmit = 0;
  private lastBytes: number;
  private lastTime: number;

  constructor(
    private readonly phase: ByteProgress['phase'],
    private readonly listener: ProgressListener | undefined,
    private readonly total: number | undefined,
    private bytes = 0,
    private readonly intervalMs = 200,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastBytes = bytes;
    this.lastTime = this.now();
  }

  add(n: number): void {
    this.bytes += n;
    const t = this.now();
    if (t - this.lastEmit >= this.intervalMs) this.emit(t);
  }

  finish(): void {
    this.emit(this.now());
  }

  private emit(t: number): void {
    const dt = (t - this.lastTime) / 1000;
    if (dt > 0) {
      const instant = (this.bytes - this.lastBytes) / dt;
      // Exponential smoothing keeps the ETA from jumping with each chunk.
      this.rate = this.rate === 0 ? instant : 0.7 * this.rate + 0.3 * instant;
    }
    this.lastBytes = this.bytes;
    this.lastTime = t;
    this.lastEmit = t;
    if (!this.listener) return;
    const etaSeconds =
      this.total !== undefined && this.rate > 0 ? Math.max(0, (this.total - this.bytes) / this.rate) : undefined;
    this.listener({
      phase: this.phase,
      bytes: this.bytes,
      rate: this.rate,
      ...(this.total !== undefined ? { total: this.total } : {}),
      ...(etaSeconds !== undefined ? { etaSeconds } : {}),
    });
  }
}
