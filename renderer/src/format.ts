import { formatBytes } from '../../shared/format-bytes';

/** "12.5 MiB/s"; a dash before the first measurement. */
export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(Math.round(bytesPerSecond))}/s` : '–';
}

/** "1:05" or "1:02:03"; a dash while unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** Whole percent, 0–100; undefined while the total is unknown. */
export function percent(bytes: number, total: number | undefined): number | undefined {
  return total ? Math.min(100, Math.floor((100 * bytes) / total)) : undefined;
}

export { formatBytes };
