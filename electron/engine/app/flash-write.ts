import type { Bmap } from '../../../shared/bmap';
import type { WriterResult } from '../../../shared/writer-protocol';
import { type TargetCheck, assertWritable, checkTarget } from '../drives/check-target';
import type { ImageSource } from '../source/image-source';
import type { WriteProgress } from '../write/write-types';
import { writeImage } from '../write/write-targets';
import { type Growing, runWriter } from '../writer-process/writer-client';
import { assertSafeToElevate } from './elevation-safety';
import type { WriterLaunch } from './writer-launch';

/**
 * The flash itself, shared by `macula flash` and the app: every target checked before anything is written, then one
 * write to all of them, in-process or through the elevated writer, with the same result either way.
 */

const sized = (imageSize: number | undefined) => (imageSize !== undefined ? { imageSize } : {});

/**
 * Checks every target for this image; one refused target refuses the whole flash (its first refusal is thrown as an
 * `ERR_TARGET_*` MaculaError). Returns the checks, warnings included, in target order.
 */
export async function checkTargets(
  targets: readonly string[],
  imagePath: string,
  imageSize: number | undefined,
  onCheck: (target: string, check: TargetCheck) => void = () => undefined,
): Promise<TargetCheck[]> {
  const checks: TargetCheck[] = [];
  for (const target of targets) {
    const check = await checkTarget(target, { imagePath, ...sized(imageSize) });
    // Told before any refusal is thrown, so every target's warnings are reported even when another one is refused.
    onCheck(target, check);
    checks.push(check);
  }
  for (const check of checks) if (check.refusals.length > 0) await assertWritable(check.drive.device, { imagePath, ...sized(imageSize) });
  return checks;
}

export interface FlashWriteOptions {
  readonly launch: WriterLaunch;
  readonly image: string;
  readonly source: ImageSource;
  readonly targets: readonly string[];
  readonly verify: boolean;
  /** Write every block, zero blocks included, even on a target that reads back zeros after a discard. */
  readonly writeZeros?: boolean;
  /** The block map in use, parsed (in-process) and its file (the writer process reads it itself). */
  readonly bmap?: { readonly path: string; readonly bmap: Bmap } | undefined;
  /** Seed YAML per target, in target order (secrets: passed only in memory or over the writer's stdin). */
  readonly stateConfigs?: readonly string[] | undefined;
  /** The SHA-256 the image file was verified to have: the writer writes chunk 0 only if what it read matches. */
  readonly expectedSha256?: string | undefined;
  /** The image is still being downloaded (stream-acquire.ts): the writer reads it as it grows. */
  readonly growing?: Growing | undefined;
  readonly signal?: AbortSignal;
  readonly onProgress: (progress: WriteProgress) => void;
}

/** `command` (ending in `write --ipc`) naming each target as `--drive TARGET`. */
function withDrives(command: readonly [string, ...string[]], targets: readonly string[]): [string, ...string[]] {
  return [...command, ...targets.flatMap((t) => ['--drive', t])];
}

/**
 * Writes (and reads back) the image on every target; per-target failures are in the result, not thrown. An elevated
 * writer that a non-root user could modify is refused first (elevation-safety.ts).
 */
export async function runFlashWrite(o: FlashWriteOptions): Promise<WriterResult> {
  if (o.launch.kind !== 'in-process') {
    // The drives go on the elevated command line, where the authorization prompt shows them (polkit's
    // $(command_line)) and the writer holds the request to them (serve-writer.ts). Relayed commands are one script.
    const command = o.launch.kind === 'elevated' ? withDrives(o.launch.command, o.targets) : o.launch.command;
    if (o.launch.kind === 'elevated') await assertSafeToElevate(command);
    return runWriter({
      command,
      relay: o.launch.kind === 'elevated-relay' ? o.launch.relay : undefined,
      image: o.image,
      targets: o.targets,
      verify: o.verify,
      writeZeros: o.writeZeros,
      onProgress: o.onProgress,
      bmap: o.bmap?.path,
      seeds: o.stateConfigs,
      sha256: o.expectedSha256,
      growing: o.growing,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }
  const r = await writeImage({
    source: o.source,
    targets: o.targets,
    verify: o.verify,
    skipZeros: o.writeZeros !== true,
    onProgress: o.onProgress,
    bmap: o.bmap?.bmap,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.stateConfigs ? { stateConfigs: o.stateConfigs } : {}),
    ...(o.expectedSha256 !== undefined ? { expectedSha256: o.expectedSha256 } : {}),
    // Checked again right before each target is opened: the drive may have changed since checkTargets.
    preflight: async (target, size) => void (await assertWritable(target, { imagePath: o.image, ...sized(size) })),
  });
  return { kind: 'result', size: r.size, ...(r.sha256 ? { sha256: r.sha256 } : {}), targets: r.targets.map((t) => ({ ...t, notes: [...t.notes] })) };
}
