import { ProgressMeter } from '../engine/io/progress-meter';
import type { Output } from './output';

/**
 * A progress callback for engine work that reports running totals (`bytes` of `total` done): a throttled bar labelled
 * `label` on a TTY, JSON `progress` lines with `--json`.
 */
export function progressTo(out: Output, label: string): { update: (bytes: number, total: number) => void; finish: () => void } {
  let meter: ProgressMeter | undefined;
  let last = 0;
  return {
    update(bytes, total) {
      meter ??= new ProgressMeter('hashing', (p) => out.progress(p, label), total);
      meter.add(bytes - last);
      last = bytes;
    },
    finish() {
      meter?.finish();
      out.endProgress();
    },
  };
}
