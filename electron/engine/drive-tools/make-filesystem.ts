import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { RestoreFs } from '../../../shared/drive-tools';
import { MaculaError, assertNever } from '../../../shared/errors';
import { partitionsOf } from '../drives/block-sysfs';

const run = promisify(execFile);

function toolFailed(what: string, err: unknown): MaculaError {
  const stderr = (err as { stderr?: unknown } | null)?.stderr;
  const detail = typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : err instanceof Error ? err.message : String(err);
  return new MaculaError('ERR_WRITE_FAILED', `${what} failed: ${detail}`);
}

/**
 * The node of partition 1 once the kernel knows the new table: `partx -u` updates a disk whose partitions the kernel
 * already tracked (a USB stick), `partx -a` adds them where it tracked none (a loop device without partition
 * scanning). Both are util-linux, installed wherever mkfs is.
 */
async function firstPartitionNode(device: string): Promise<string> {
  const disk = basename(device);
  await run('partx', ['-u', device]).catch(() => undefined);
  for (let attempt = 0; attempt < 20; attempt++) {
    const [first] = (await partitionsOf(disk)).sort();
    if (first !== undefined) {
      const node = `/dev/${first}`;
      if (await access(node).then(() => true, () => false)) return node;
    }
    if (attempt === 0) await run('partx', ['-a', device]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new MaculaError('ERR_WRITE_FAILED', `the kernel shows no partition 1 on ${device} after the new table was written (partx -u / -a)`, { path: device });
}

/** The Linux tool for `fs`: dosfstools' mkfs.vfat, exfatprogs' mkfs.exfat (Debian packages of those names). */
function mkfsArgs(fs: RestoreFs, label: string, node: string): [string, string[]] {
  switch (fs) {
    case 'fat32':
      return ['mkfs.vfat', ['-F', '32', '-n', label.toUpperCase(), node]];
    case 'exfat':
      return ['mkfs.exfat', ['-L', label, node]];
    default:
      return assertNever(fs);
  }
}

/**
 * Makes the filesystem on partition 1 of `device` with the platform's own tool. Linux: mkfs.vfat / mkfs.exfat on the
 * partition's node. macOS: `diskutil eraseVolume` on `diskNs1` (not run here: Linux CI). Windows: refused, see
 * docs/drive-tools.md.
 */
export async function makeFilesystem(device: string, fs: RestoreFs, label: string): Promise<void> {
  if (process.platform === 'darwin') {
    const personality = fs === 'fat32' ? 'FAT32' : 'ExFAT';
    await run('diskutil', ['eraseVolume', personality, label, `${device}s1`]).catch((err: unknown) => {
      throw toolFailed('diskutil eraseVolume', err);
    });
    return;
  }
  if (process.platform === 'win32') {
    throw new MaculaError('ERR_TARGET_UNSUPPORTED', 'restore does not format drives on Windows yet: use Disk Management (docs/drive-tools.md)', { path: device });
  }
  const node = await firstPartitionNode(device);
  const [tool, args] = mkfsArgs(fs, label, node);
  await run(tool, args).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'ENOENT') {
      throw new MaculaError('ERR_TARGET_UNSUPPORTED', `${tool} is not installed (Debian: apt install ${fs === 'fat32' ? 'dosfstools' : 'exfatprogs'})`, { path: device });
    }
    throw toolFailed(tool, err);
  });
}
