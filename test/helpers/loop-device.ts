import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to build a loop device for a test. */
export interface LoopOptions {
  /** Size of the fresh sparse backing file, in MiB (ignored with `file`). */
  readonly sizeMiB?: number;
  /** Attach an existing file instead of a fresh one; the file is left in place on cleanup. */
  readonly file?: string;
  /** `losetup -r`: a read-only loop. */
  readonly readOnly?: boolean;
  /** An sfdisk(8) script (e.g. `label: dos\n,32M,83\n,,83\n`); the partitions are then added with `partx -a`. */
  readonly partitions?: string;
  /** mkfs.ext4 the first partition (or the whole device without partitions) and mount it in a temp dir. */
  readonly mountExt4?: boolean;
  /** mkswap the whole device and `swapon` it: the loop then backs swap, like a system drive. */
  readonly swap?: boolean;
}

/** A loop device made for a test. */
export interface LoopDevice {
  /** `/dev/loopN`. */
  readonly device: string;
  readonly file: string;
  /** `/dev/loopNp1…`, in order. */
  readonly partitions: readonly string[];
  readonly mountDir?: string;
}

const sh = (cmd: string, args: readonly string[], input?: string): string =>
  execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) }).trim();

/** Unmounts; if the mount is busy, detaches it lazily so the loop under it can still go. */
function umount(dir: string): void {
  try {
    sh('umount', [dir]);
  } catch {
    sh('umount', ['-l', dir]);
  }
}

/**
 * Makes loop devices (needs root) and undoes everything it made, in reverse order, even after a failure halfway:
 * swapoff, umount, `partx -d`, `losetup -d`, rm. It only ever detaches loops it attached itself.
 */
export class LoopLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'macula-loops-'));
  private undo: { what: string; run: () => void }[] = [];
  private serial = 0;

  /** A fresh sparse file of `sizeMiB` MiB in this lab's temp dir. */
  sparseFile(sizeMiB: number, name = `disk-${++this.serial}.img`): string {
    const file = join(this.dir, name);
    closeSync(openSync(file, 'w'));
    sh('truncate', ['-s', `${sizeMiB}M`, file]);
    return file;
  }

  /** Attaches a loop device as `options` say and registers its teardown before doing anything else with it. */
  create(options: LoopOptions): LoopDevice {
    const file = options.file ?? this.sparseFile(options.sizeMiB ?? 64);
    const device = sh('losetup', ['-f', '--show', ...(options.readOnly ? ['-r'] : []), file]);
    if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup printed "${device}"`);
    this.undo.push({ what: `losetup -d ${device}`, run: () => sh('losetup', ['-d', device]) });
    let partitions: string[] = [];
    if (options.partitions !== undefined) {
      sh('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', device], options.partitions);
      this.undo.push({ what: `partx -d ${device}`, run: () => sh('partx', ['-d', device]) });
      sh('partx', ['-a', device]);
      partitions = sh('partx', ['-g', '-o', 'NR', device])
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((nr) => `${device}p${nr.trim()}`);
    }
    let mountDir: string | undefined;
    if (options.mountExt4) {
      const fs = partitions[0] ?? device;
      sh('mkfs.ext4', ['-q', '-F', fs]);
      mountDir = mkdtempSync(join(this.dir, 'mnt-'));
      sh('mount', [fs, mountDir]);
      const dir = mountDir;
      this.undo.push({ what: `umount ${dir}`, run: () => umount(dir) });
    }
    if (options.swap) {
      sh('mkswap', ['-q', device]);
      sh('swapon', [device]);
      this.undo.push({ what: `swapoff ${device}`, run: () => sh('swapoff', [device]) });
    }
    return { device, file, partitions, ...(mountDir !== undefined ? { mountDir } : {}) };
  }

  /** Tears down every loop made so far (newest first); keeps going past failures and throws them all at the end. */
  cleanup(): void {
    const failures: string[] = [];
    for (const step of this.undo.reverse()) {
      try {
        step.run();
      } catch (e) {
        failures.push(`${step.what}: ${(e as Error).message}`);
      }
    }
    this.undo = [];
    if (failures.length > 0) throw new Error(`loop cleanup failed:\n${failures.join('\n')}`);
  }

  /** cleanup(), then removes the lab's temp dir (backing files included); keeps the dir if something is still attached. */
  dispose(): void {
    this.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
