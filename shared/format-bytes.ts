const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 67108864 → "64 MiB", 1610612736 → "1.5 GiB" (binary units, as lsblk prints them); for CLI and UI alike. */
export function formatBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${UNITS[u]}`;
}
