import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * The flash benchmark's target and its brakes: a loop device over a file (O_DIRECT all the way down with
 * `--direct-io=on`) and a cgroup v1 blkio group that throttles the loop's reads and writes for the processes put in it.
 * Everything here is synchronous so that a signal handler can undo it before the process exits.
 */

/** A loop device attached by the benchmark. */
export interface LoopTarget {
  readonly device: string;
  /** `major:minor`, as blkio throttle rules name a device. */
  readonly majMin: string;
  readonly backing: string;
  /** The loop does direct I/O on its backing file (`/sys/block/loopN/loop/dio`). */
  readonly dio: boolean;
}

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Blocks the thread for `ms` (cleanup in a signal handler cannot await). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Detaches loop devices a previous, killed run left on `backing`. */
function detachStale(backing: string): void {
  for (const line of run('losetup', ['-j', backing]).split('\n')) {
    const device = /^(\/dev\/loop\d+):/.exec(line)?.[1];
    if (device) run('losetup', ['-d', device]);
  }
}

/**
 * Attaches `backing` (made `bytes` long and written with zeros once, so that no measured run pays for block
 * allocation in the backing filesystem) as a loop device with direct I/O.
 */
export function attachLoop(backing: string, bytes: number): LoopTarget {
  if (existsSync(backing)) detachStale(backing);
  if (!existsSync(backing) || statSync(backing).size !== bytes || statSync(backing).blocks * 512 < bytes) {
    run('sh', ['-c', `dd if=/dev/zero of='${backing}' bs=4M count=${Math.ceil(bytes / (4 << 20))} oflag=direct status=none && truncate -s ${bytes} '${backing}'`]);
  }
  const device = run('losetup', ['-f', '--show', '--direct-io=on', backing]).trim();
  const sys = `/sys/block/${basename(device)}`;
  const majMin = readFileSync(`${sys}/dev`, 'utf8').trim();
  const dio = readFileSync(`${sys}/loop/dio`, 'utf8').trim() === '1';
  return { device, majMin, backing, dio };
}

/** Detaches the loop, retrying briefly while a killed writer still holds it. */
export function detachLoop(loop: LoopTarget): void {
  for (let attempt = 0; ; attempt++) {
    try {
      run('losetup', ['-d', loop.device]);
      return;
    } catch (err) {
      if (attempt >= 10) throw err;
      sleepSync(200);
    }
  }
}

const BLKIO = '/sys/fs/cgroup/blkio';

/** A cgroup v1 blkio group throttling one device; commands join it through `prefix`. */
export class BlkioThrottle {
  readonly dir: string;

  constructor(
    name: string,
    private readonly majMin: string,
  ) {
    this.dir = `${BLKIO}/${name}`;
    mkdirSync(this.dir, { recursive: true });
  }

  /** Shell text that moves the measured shell (and so everything it starts) into the group. */
  get prefix(): string {
    return `echo $$ > ${this.dir}/cgroup.procs; `;
  }

  /** Sets the write and read limits in bytes per second (0 removes a limit). */
  set(writeBps: number, readBps: number): void {
    writeFileSync(`${this.dir}/blkio.throttle.write_bps_device`, `${this.majMin} ${writeBps}`);
    writeFileSync(`${this.dir}/blkio.throttle.read_bps_device`, `${this.majMin} ${readBps}`);
  }

  /** Removes the group; processes still in it (a run interrupted by a signal) are moved back to the root group first. */
  remove(): void {
    if (!existsSync(this.dir)) return;
    try {
      this.set(0, 0);
    } catch {
      // The device is gone already; its rules went with it.
    }
    for (let attempt = 0; ; attempt++) {
      for (const pid of readFileSync(`${this.dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(`${BLKIO}/cgroup.procs`, pid);
        } catch {
          // The process has just exited.
        }
      }
      try {
        rmdirSync(this.dir);
        return;
      } catch (err) {
        if (attempt >= 10) throw err;
        sleepSync(200);
      }
    }
  }
}

/** True when cgroup v1's blkio controller is mounted where the benchmark expects it. */
export function blkioAvailable(): boolean {
  return existsSync(`${BLKIO}/cgroup.procs`) && existsSync(`${BLKIO}/blkio.throttle.write_bps_device`);
}
