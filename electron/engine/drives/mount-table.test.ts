import { describe, expect, it } from 'vitest';
import { parseMountinfo, parseSwaps } from './mount-table';

describe('mount table parsing (proc(5))', () => {
  it('reads MAJ:MIN, mount point and source from mountinfo, with optional fields and octal escapes', () => {
    const text = [
      '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard',
      '42 27 259:0 / /media/my\\040stick rw,relatime shared:12 master:3 - vfat /dev/sdb1 rw',
      '43 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw',
      '',
    ].join('\n');
    expect(parseMountinfo(text)).toEqual([
      { devNo: '254:0', root: '/', mountPoint: '/', source: '/dev/vda' },
      { devNo: '259:0', root: '/', mountPoint: '/media/my stick', source: '/dev/sdb1' },
      { devNo: '254:0', root: '/run/netns', mountPoint: '/run/netns', source: '/dev/vda' },
    ]);
  });

  it('reads swap partitions and swap files from /proc/swaps, skipping the header', () => {
    const text = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sda2  partition\t16380\t0\t-2\n/swap\\040file file 1024 0 -3\n';
    expect(parseSwaps(text)).toEqual([
      { path: '/dev/sda2', type: 'partition' },
      { path: '/swap file', type: 'file' },
    ]);
  });
});
