import { execFile } from 'node:child_process';
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs a command without a shell; resolves with its stdout. */
export async function sh(command: string, args: readonly string[]): Promise<string> {
  return (await run(command, [...args], { maxBuffer: 1 << 24 })).stdout;
}

async function quietly(command: string, args: readonly string[]): Promise<void> {
  await run(command, [...args]).catch(() => undefined);
}

/**
 * Loop devices, mounts and backing files made by one test file, all undone by `cleanup` (call it in afterEach/afterAll
 * whatever happened). Only what this object created is ever touched.
 */
export class Loops {
  private readonly devices: string[] = [];
  private readonly mounts: string[] = [];
  private readonly files: string[] = [];

  /** A sparse file of `size` bytes attached to a new loop device; `readOnly` = `losetup -r`. */
  async create(file: string, size: number, options: { readOnly?: boolean; directIo?: boolean } = {}): Promise<string> {
    await writeFile(file, '');
    this.files.push(file);
    await truncate(file, size);
    return this.attach(file, options);
  }

  /** Attaches an existing file to a new loop device. */
  async attach(file: string, options: { readOnly?: boolean; directIo?: boolean } = {}): Promise<string> {
    const args = ['-f', '--show', ...(options.readOnly ? ['-r'] : []), ...(options.directIo ? ['--direct-io=on'] : []), file];
    const device = (await sh('losetup', args)).trim();
    this.devices.push(device);
    return device;
  }

  /** Mounts `source` (a device, or `tmpfs` with `-t tmpfs`) at `dir`, to be unmounted by cleanup if still there. */
  async mount(args: readonly string[], dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await sh('mount', [...args, dir]);
    this.mounts.push(dir);
  }

  /** Unmounts, detaches partitions and loops, deletes backing files: every step tolerant, in reverse order. */
  async cleanup(): Promise<void> {
    for (const dir of this.mounts.splice(0).reverse()) await quietly('umount', [dir]);
    for (const device of this.devices.splice(0).reverse()) {
      await quietly('partx', ['-d', device]);
      await quietly('losetup', ['-d', device]);
    }
    for (const file of this.files.splice(0)) await rm(file, { force: true });
  }
}
