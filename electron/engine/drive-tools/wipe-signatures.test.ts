import { describe, expect, it } from 'vitest';
import { WIPE_SPAN, wipeRanges } from './wipe-signatures';

const MiB = 1 << 20;

describe('wipeRanges', () => {
  it('covers the first and last MiB and each old partition start, merged and inside the drive', () => {
    const size = 200 * MiB;
    const ranges = wipeRanges(size, [
      { number: 1, offset: 32 * 1024, size: 4 * MiB }, // its first MiB overlaps the disk's: merged, reaching 32 KiB further
      { number: 2, offset: 36 * MiB + 512, size: 16 * MiB }, // unaligned start: widened down to 4 KiB
      { number: 3, offset: 199.5 * MiB, size: MiB / 2 }, // inside the last MiB
    ]);
    expect(ranges).toEqual([
      { offset: 0, length: MiB + 32 * 1024 },
      { offset: 36 * MiB, length: WIPE_SPAN },
      { offset: size - MiB, length: MiB },
    ]);
  });

  it('stays inside a drive smaller than two spans', () => {
    expect(wipeRanges(MiB + 4096, [])).toEqual([{ offset: 0, length: MiB + 4096 }]);
  });
});
