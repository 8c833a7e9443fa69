/** Built sizes beside the plan's targets (§7.1, §7.4, §11), printed at the end of every build. */

const MB = 1000 * 1000;

export interface SizeLine {
  readonly what: string;
  readonly bytes: number;
  readonly target: string;
  readonly limit: number | undefined;
}

export function sizeTable(sizes: { iso: number; initrd: number; squashfs: number; vmlinuz: number }): SizeLine[] {
  return [
    { what: 'ISO', bytes: sizes.iso, target: 'plan §11: < 500 MB (§7.1 airgapped ~800 MB–1 GB)', limit: 500 * MB },
    { what: 'initrd', bytes: sizes.initrd, target: 'plan §7.4: ~150 MB full, §7.2 netboot 50–100 MB', limit: 150 * MB },
    { what: 'rootfs squashfs', bytes: sizes.squashfs, target: 'plan §7.4: ~400 MB rootfs + ~200 MB kernel squashfs', limit: 600 * MB },
    { what: 'kernel', bytes: sizes.vmlinuz, target: 'plan §7.2: ~11 MB', limit: undefined },
  ];
}

export function formatSizeTable(lines: readonly SizeLine[]): string {
  return lines
    .map((l) => {
      const mb = (l.bytes / MB).toFixed(1).padStart(7);
      const verdict = l.limit === undefined ? '' : l.bytes <= l.limit ? '  ok' : '  OVER';
      return `  ${l.what.padEnd(16)} ${mb} MB   ${l.target}${verdict}`;
    })
    .join('\n');
}
