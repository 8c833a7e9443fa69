import { formatBytes } from '../../shared/format-bytes';
import type { ByteProgress } from '../../shared/progress';

/** How a command reports: human lines and a progress bar on a TTY, or one JSON object per line for scripts. */
export interface Output {
  readonly json: boolean;
  /** A result or notice: printed as text, or as one JSON line `{ "event": ..., ...fields }`. */
  event(event: string, fields: Record<string, unknown>, text: string): void;
  progress(p: ByteProgress, label: string): void;
  /** A free-form progress line (several targets at once); TTY only. */
  status(text: string): void;
  /** Ends a progress line so the next text starts on its own line. */
  endProgress(): void;
  error(code: string, message: string, fields?: Record<string, unknown>): void;
}

export { formatBytes };

function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One progress line: `downloading  42% [########------] 12.0 MiB/28.0 MiB 3.1 MiB/s ETA 0:05`. */
export function progressLine(p: ByteProgress, label: string, width = 24): string {
  const rate = `${formatBytes(p.rate)}/s`;
  if (p.total === undefined || p.total === 0) return `${label} ${formatBytes(p.bytes)} ${rate}`;
  const frac = Math.min(1, p.bytes / p.total);
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const pct = `${Math.floor(frac * 100)}`.padStart(3);
  return `${label} ${pct}% [${bar}] ${formatBytes(p.bytes)}/${formatBytes(p.total)} ${rate} ETA ${formatEta(p.etaSeconds)}`;
}

/** Output on the real process streams. Progress goes to stderr so stdout stays clean for results. */
export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  const tty = Boolean(stderr.isTTY);
  let progressShown = false;
  const endProgress = (): void => {
    if (progressShown) stderr.write('\n');
    progressShown = false;
  };
  return {
    json,
    event(event, fields, text) {
      if (json) stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
      else {
        endProgress();
        stdout.write(`${text}\n`);
      }
    },
    progress(p, label) {
      if (json) stdout.write(`${JSON.stringify({ event: 'progress', label, ...p })}\n`);
      else this.status(progressLine(p, label));
    },
    status(text) {
      if (json || !tty) return;
      stderr.write(`\r\x1b[2K${text.slice(0, (stderr.columns || 160) - 1)}`);
      progressShown = true;
    },
    endProgress,
    error(code, message, fields = {}) {
      if (json) stdout.write(`${JSON.stringify({ event: 'error', code, message, ...fields })}\n`);
      else {
        endProgress();
        stderr.write(`macula: ${message}\n`);
      }
    },
  };
}
