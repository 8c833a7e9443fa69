/** Built sizes beside the plan's targets (§7.1, §7.2, §7.4, §8.1, §11), printed at the end of every build. */

const MB = 1000 * 1000;

export interface SizeLine {
  readonly what: string;
  readonly bytes: number;
  readonly target: string;
  readonly limit: number | undefined;
}

/** The release files whose size the plan sets a target for. */
export type SizedFile = 'iso' | 'netbootIso' | 'initrd' | 'netbootInitrd' | 'squashfs' | 'vmlinuz' | 'qcow2' | 'rpiImg';

const TARGETS: Readonly<Record<SizedFile, Omit<SizeLine, 'bytes'>>> = {
  iso: { what: 'ISO', target: 'plan §11: < 500 MB (§7.1 airgapped ~800 MB–1 GB)', limit: 500 * MB },
  netbootIso: { what: 'netboot ISO', target: 'plan §7.1: netboot ~200–300 MB', limit: 300 * MB },
  initrd: { what: 'initrd', target: 'plan §7.4: ~150 MB full, §7.2 netboot 50–100 MB', limit: 150 * MB },
  netbootInitrd: { what: 'netboot initrd', target: 'plan §7.2: minimal initrd ~50–100 MB', limit: 100 * MB },
  squashfs: { what: 'rootfs squashfs', target: 'plan §7.4: ~400 MB rootfs + ~200 MB kernel squashfs', limit: 600 * MB },
  vmlinuz: { what: 'kernel', target: 'plan §7.2: ~11 MB', limit: undefined },
  rpiImg: { what: 'Raspberry Pi IMG', target: 'plan §11: < 500 MB (as the ISO)', limit: 500 * MB },
  qcow2: { what: 'qcow2', target: 'plan §8.1: ~800 MB (file size; virtual 8 GiB)', limit: 900 * MB },
};

/** One line per file built, in the order given. */
export function sizeTable(sizes: Readonly<Partial<Record<SizedFile, number>>>): SizeLine[] {
  return (Object.entries(sizes) as [SizedFile, number][]).map(([file, bytes]) => ({ ...TARGETS[file], bytes }));
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
