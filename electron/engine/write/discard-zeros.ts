import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ALIGNMENT, directIo } from './direct-io';
import type { OpenedTarget } from './open-target';
import { sysfsDir } from './sysfs-block';

const run = promisify(execFile);

/** Places read after the discard to see that it reads zeros: spread evenly over the range, its first and last included. */
const SAMPLES = 64;
/** Bytes read at each place. */
const SAMPLE_BYTES = 64 * 1024;

/** Whether a target skips the image's zero blocks, and what to tell the user about it. */
export interface ZeroSkip {
  readonly skip: boolean;
  readonly note: string;
}

/** Bytes the device accepts in one discard; 0 when it cannot discard (sysfs queue/discard_max_bytes). */
async function discardMaxBytes(devicePath: string): Promise<number> {
  const dir = await sysfsDir(devicePath);
  if (dir === undefined) return 0;
  const text = await readFile(join(dir, 'queue', 'discard_max_bytes'), 'utf8').catch(() => '0');
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : 0;
}

/** Offsets of the sample reads over [0, length): aligned, evenly spread, the first at 0 and the last at the end. */
export function sampleOffsets(length: number): number[] {
  const last = Math.max(0, Math.floor((length - SAMPLE_BYTES) / ALIGNMENT) * ALIGNMENT);
  const offsets = new Set<number>();
  for (let i = 0; i < SAMPLES; i++) offsets.add(Math.floor((last * i) / (SAMPLES - 1) / ALIGNMENT) * ALIGNMENT);
  return [...offsets].sort((a, b) => a - b);
}

/**
 * The first non-zero byte found by reading the samples back with O_DIRECT (never from the page cache), or undefined.
 * Opened without O_EXCL: the writer holds the exclusive open already.
 */
async function firstNonZero(path: string, length: number): Promise<number | undefined> {
  const handle = await open(path, constants.O_RDONLY | directIo.O_DIRECT);
  try {
    const buffer = directIo.getAlignedBuffer(SAMPLE_BYTES, ALIGNMENT);
    for (const offset of sampleOffsets(length)) {
      const want = Math.min(SAMPLE_BYTES, length - offset);
      const { bytesRead } = await handle.read(buffer, 0, Math.ceil(want / ALIGNMENT) * ALIGNMENT, offset);
      const at = buffer.subarray(0, Math.min(bytesRead, want)).findIndex((b) => b !== 0);
      if (at >= 0) return offset + at;
      if (bytesRead < want) return offset + bytesRead; // a device shorter than it said: nothing is assumed
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Tries after an EBUSY: the kernel drops the device's cached pages with the discard, and fails while one is in use. */
const BUSY_RETRIES_MS = [100, 300, 1000];

/**
 * Discards bytes [0, span) of the device; undefined when done, else why not. -f: the writer already holds the device
 * open with O_EXCL, which blkdiscard would otherwise ask for itself. EBUSY is retried: right after an unmount, udev's
 * probe of the device may hold a page of it for a moment.
 */
async function discard(path: string, span: number): Promise<string | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      await run('blkdiscard', ['-f', '-o', '0', '-l', String(span), path]);
      return undefined;
    } catch (err) {
      const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
      const delay = BUSY_RETRIES_MS[attempt];
      if (!/busy/i.test(why) || delay === undefined) return why;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Test hook: runs after the discard, before the samples are read. */
export type AfterDiscard = (path: string) => Promise<void> | void;

/**
 * Skipping the zero blocks of an image is safe only where the target reads back zeros from blocks that were never
 * written, which nothing promises (a used card returns its old data; Linux reports BLKDISCARDZEROES as 0 for every
 * device since 4.12; an erased SD card may read back 0xFF). So it is measured, per target: the range the image will
 * cover, [0, `length`), is discarded (`blkdiscard`; Linux block devices whose queue accepts discards), then read back
 * at SAMPLES places with O_DIRECT; only when all of it is zeros are zero blocks skipped. The read-back after the write
 * hashes every byte of the image range, skipped blocks included, so a device that stops reading zeros later is still
 * caught, with the offset. Everything else (other platforms, regular files, no discard support, a failed discard, a
 * non-zero sample) writes every block, and the note says why.
 */
export async function prepareZeroSkip(target: OpenedTarget, length: number, afterDiscard?: AfterDiscard): Promise<ZeroSkip | undefined> {
  if (process.platform !== 'linux' || target.kind !== 'block' || length <= 0) return undefined;
  if ((await discardMaxBytes(target.path)) === 0) return { skip: false, note: 'the drive does not accept discards: zero blocks are written' };
  const span = Math.ceil(length / target.sectorSize) * target.sectorSize;
  const started = performance.now();
  const failed = await discard(target.path, span);
  if (failed !== undefined) return { skip: false, note: `discarding the drive failed (${failed}): zero blocks are written` };
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  await afterDiscard?.(target.path);
  const nonZero = await firstNonZero(target.path, span).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  if (nonZero instanceof Error) return { skip: false, note: `reading the discarded drive failed (${nonZero.message}): zero blocks are written` };
  if (nonZero !== undefined) return { skip: false, note: `the drive does not read back zeros after a discard (byte ${nonZero} is not zero): zero blocks are written` };
  return { skip: true, note: `discarded ${span} bytes in ${seconds} s and read back zeros at ${sampleOffsets(span).length} places: the image's zero blocks are skipped (the read-back checks them)` };
}
