import type { CheckReport, CheckedState, DriveDifference } from '../../../shared/drive-tools';
import { describeRegion } from '../../../shared/drive-tools';
import { isMaculaError } from '../../../shared/errors';
import { maskSecrets } from '../../../shared/seed-secrets';
import { parseSeedYaml } from '../../../shared/seed-yaml';
import { findStatePartition, type StatePartition } from '../seed/find-state-partition';
import type { BytePatch } from '../seed/partition-plan';
import { readStateConfig } from '../seed/read-state';
import type { ImageSource } from '../source/image-source';
import { CHUNK, ChunkPool } from '../write/aligned-chunks';
import { firstDifference } from '../write/find-difference';
import type { OpenedTarget } from '../write/open-target';
import { withOriginals } from '../write/original-bytes';
import { readSpan, readWindows } from '../write/read-back';
import { READ_DEPTH } from '../write/verify-target';
import { describeOffset } from '../write/write-errors';
import { type DrivePartition, readPartitions, regionOf } from './drive-layout';
import { imageSizeOf, readImageHead } from './image-head';
import { openDriveForRead } from './open-drive';
import { type SeededLayout, seededLayout } from './seeded-layout';

/** Inputs of `macula check`. */
export interface CheckDriveOptions {
  readonly device: string;
  readonly source: ImageSource;
  readonly signal?: AbortSignal | undefined;
  /** Image bytes compared so far, of `total`. */
  readonly onProgress?: (bytes: number, total: number) => void;
}

/** A table sector, a GPT header and array included: where a difference in them is named "the partition table". */
interface Span {
  readonly offset: number;
  readonly length: number;
}

/** Sector 0, and the standard GPT header and 128-entry array (LBA 1–33) when the image has a protective entry. */
function imageTableSectors(head: Buffer): Span[] {
  const gpt = head.length >= 1024 && head.subarray(512, 520).toString('latin1') === 'EFI PART';
  return [{ offset: 0, length: gpt ? 34 * 512 : 512 }];
}

/** First offset (in `expected`) where the target's bytes at `patch.offset` differ, or undefined. */
async function patchDifference(target: OpenedTarget, buffer: Buffer, patch: BytePatch): Promise<number | undefined> {
  for (let at = 0; at < patch.bytes.length; at += CHUNK / 2) {
    const n = Math.min(CHUNK / 2, patch.bytes.length - at);
    const actual = await readSpan(target, buffer, patch.offset + at, n);
    const expected = patch.bytes.subarray(at, at + n);
    if (actual.length < n) return patch.offset + at + actual.length;
    if (!actual.equals(expected)) for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) return patch.offset + at + i;
  }
  return undefined;
}

/** The seed summary of the state partition, or the difference that kept it from being read. */
async function readState(device: string, state: StatePartition, layout: SeededLayout): Promise<{ state: CheckedState; difference?: DriveDifference }> {
  const base = { partition: state.index, offset: state.offset, table: layout.plan.table };
  try {
    const config = await readStateConfig({ path: device, offset: state.offset });
    const seed = maskSecrets(parseSeedYaml(config.text, `${device} partition ${state.index}`));
    return { state: { ...base, uuid: config.uuid, mode: `0${config.mode.toString(8)}`, growpart: config.growpart, seed } };
  } catch (err) {
    const region = { kind: 'state', partition: state.index } as const;
    const message = `${describeRegion(region)} does not read as a seeded state filesystem: ${isMaculaError(err) ? err.message : String(err)}`;
    return { state: { ...base, uuid: '', mode: '', growpart: false, seed: null }, difference: { offset: state.offset, region, message } };
  }
}

/** The MACULAOS_STATE partition, or undefined on an unseeded target. */
async function stateOf(device: string): Promise<StatePartition | undefined> {
  try {
    return await findStatePartition(device);
  } catch (err) {
    if (isMaculaError(err, 'ERR_FORMAT_UNKNOWN')) return undefined;
    throw err;
  }
}

/** Streams the image beside the target (the table sectors' image bytes put back) and returns the first difference. */
async function imageDifference(target: OpenedTarget, pool: ChunkPool, options: CheckDriveOptions, imageSize: number, originals: readonly BytePatch[]): Promise<number | undefined> {
  let done = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const bytes of withOriginals(readWindows(target, imageSize, pool, READ_DEPTH), originals)) {
      done += bytes.length;
      options.onProgress?.(done, imageSize);
      yield bytes;
    }
  }
  return firstDifference(options.source.createReadStream(options.signal) as AsyncIterable<Buffer>, counted());
}

function difference(offset: number, where: { partitions: readonly DrivePartition[]; tableSectors: readonly Span[]; statePartition?: number }, why: string): DriveDifference {
  const region = regionOf(offset, where);
  return { offset, region, message: `differs at ${describeOffset(offset)}, in ${describeRegion(region)}: ${why}` };
}

/**
 * Reads a flashed drive back and compares it with the image, never through the page cache: every byte of the image
 * (the table sectors a seeded flash rewrote compared with what that flash wrote there instead, and the image's own
 * bytes put back for the rest), then the MACULAOS_STATE filesystem, read without mounting and reported with its seed,
 * secrets masked. Each difference names its offset and the partition, table or filesystem it lies in.
 */
export async function checkDrive(options: CheckDriveOptions): Promise<CheckReport> {
  const { device, source, signal } = options;
  const imageSize = await imageSizeOf(source, signal);
  const head = await readImageHead(source, Math.min(CHUNK, imageSize), signal);
  const { target, size } = await openDriveForRead(device);
  const pool = new ChunkPool(READ_DEPTH + 1);
  const buffer = await pool.acquire();
  try {
    const partitions = await readPartitions(device);
    const tableSectors: Span[] = imageTableSectors(head);
    const differences: DriveDifference[] = [];
    const found = await stateOf(device);
    let layout: SeededLayout | undefined;
    let state: CheckedState | null = null;
    if (found !== undefined) {
      const sectorSize = target.kind === 'block' ? target.sectorSize : 512;
      layout = await seededLayout(target, buffer, { head, imageSize, targetSize: size, sectorSize });
      tableSectors.push(...layout.plan.patches.map((p) => ({ offset: p.offset, length: p.bytes.length })));
      const where = { partitions, tableSectors, statePartition: found.index };
      if (found.offset !== layout.plan.offset || found.index !== layout.plan.partitionNumber) {
        const why = `the MACULAOS_STATE partition is number ${found.index} at byte ${found.offset}; a flash of this image puts it as number ${layout.plan.partitionNumber} at byte ${layout.plan.offset}`;
        differences.push(difference(0, where, why));
      }
      for (const patch of layout.plan.patches) {
        const at = await patchDifference(target, buffer, patch);
        if (at !== undefined) differences.push(difference(at, where, 'not the table a seeded flash of this image writes'));
      }
      const read = await readState(device, found, layout);
      state = read.state;
      if (read.difference) differences.push(read.difference);
    }
    pool.release(buffer);
    const where = { partitions, tableSectors, ...(found ? { statePartition: found.index } : {}) };
    if (size < imageSize) {
      differences.push(difference(size, where, `the drive (${size} bytes) is smaller than the image (${imageSize} bytes)`));
    } else {
      const at = await imageDifference(target, pool, options, imageSize, layout?.originals ?? []);
      if (at !== undefined) differences.push(difference(at, where, "not the image's byte"));
    }
    differences.sort((a, b) => a.offset - b.offset);
    return { device, image: { path: source.path, size: imageSize }, ok: differences.length === 0, state, differences };
  } finally {
    await target.handle.close();
  }
}
