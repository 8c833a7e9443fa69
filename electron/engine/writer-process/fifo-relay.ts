import { execFile } from 'node:child_process';
import { close, constants, open } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { MaculaError } from '../../../shared/errors';
import type { RelayEndpoints } from '../app/writer-launch';
import type { PendingRelay, RelayConnection } from './relay-types';

const openFd = promisify(open);
const closeFd = promisify(close);
const run = promisify(execFile);

/** One end of a FIFO being opened, and the way to give up on it. */
interface FifoEnd {
  readonly fd: Promise<number>;
  /** Unblocks a pending open by opening the peer end ourselves (non-blocking), then closes what was opened. */
  release(): Promise<void>;
}

/**
 * Opens `path` with `flags`. open(2) on a FIFO blocks until the peer opens the other end (POSIX open(), "O_NONBLOCK
 * clear"), and Node runs it on a libuv threadpool thread, which cannot be interrupted: an open the peer never
 * completes would hold that thread (one of four by default) for good. `release` ends that wait the only way open(2)
 * allows — by becoming the peer: O_RDONLY|O_NONBLOCK always succeeds; O_WRONLY|O_NONBLOCK succeeds once our reader
 * waits in open(2) (it fails with ENXIO before, hence the retry).
 */
function openEnd(path: string, flags: number, peerFlags: number): FifoEnd {
  const fd = openFd(path, flags | constants.O_NOFOLLOW);
  let settled = false;
  const done = fd.then(
    () => void (settled = true),
    () => void (settled = true),
  );
  return {
    fd,
    async release() {
      while (!settled) {
        const peer = await openFd(path, peerFlags | constants.O_NONBLOCK).catch(() => undefined);
        if (peer !== undefined) {
          await done;
          await closeFd(peer);
          break;
        }
        await Promise.race([done, delay(10)]);
      }
      const own = await fd.catch(() => undefined);
      if (own !== undefined) await closeFd(own).catch(() => undefined);
    },
  };
}

/**
 * The macOS relay: two FIFOs (`ends`, which must share a directory) in a new directory only the user can enter (0700;
 * root can anyway), created exclusively — mkdir fails if the random name exists, which is what mkdtemp guarantees —
 * and removed as soon as the writer has opened both FIFOs, or when the relay is abandoned. Once open, each end is a
 * net.Socket over the FIFO's descriptor: libuv sets it non-blocking and polls it, so no threadpool thread waits for
 * the writer's lines during the flash. Until then (the authorization dialog), two threadpool threads wait in open(2);
 * every outcome but success frees them through `abandon`.
 */
export async function prepareFifoRelay(ends: RelayEndpoints): Promise<PendingRelay> {
  const dir = dirname(ends.input);
  if (dirname(ends.output) !== dir) throw new MaculaError('ERR_USAGE', 'writer relay: both FIFOs must be in one directory');
  const fail = (e: unknown): MaculaError =>
    new MaculaError('ERR_IO', `cannot create the writer's FIFOs: ${e instanceof Error ? e.message : String(e)}`, { path: dir }, { cause: e });
  // Not recursive: an existing directory (someone else's) is refused, never reused.
  await mkdir(dir, { mode: 0o700 }).catch((e: unknown) => Promise.reject(fail(e)));
  const removeDir = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    // Node has no mkfifo(3); mkfifo(1) is in macOS's base system (and coreutils).
    await run('/usr/bin/mkfifo', ['-m', '600', ends.input, ends.output]);
  } catch (e) {
    await removeDir();
    throw fail(e);
  }
  // The writer reads its stdin from `input` (we write) and writes its stdout to `output` (we read).
  const input = openEnd(ends.input, constants.O_WRONLY, constants.O_RDONLY);
  const output = openEnd(ends.output, constants.O_RDONLY, constants.O_WRONLY);
  let state: 'waiting' | 'connected' | 'abandoned' = 'waiting';
  const connected = Promise.all([input.fd, output.fd]).then(async ([inFd, outFd]): Promise<RelayConnection> => {
    if (state === 'abandoned') throw new MaculaError('ERR_ABORTED', 'writer relay abandoned');
    state = 'connected';
    await removeDir();
    return { input: new Socket({ fd: inFd, readable: false, writable: true }), output: new Socket({ fd: outFd, readable: true, writable: false }) };
  });
  connected.catch(() => undefined);
  return {
    connected,
    async abandon() {
      if (state === 'waiting') {
        state = 'abandoned';
        await Promise.all([input.release(), output.release()]);
      }
      await removeDir();
    },
  };
}
