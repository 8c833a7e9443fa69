import { basename } from 'node:path';
import { MaculaError, type ReportedErrorCode, isMaculaError } from '../../../shared/errors';
import type { ImageChoice } from '../../../shared/ipc-flash';
import type { ImageStream } from '../acquire/stream-acquire';
import type { FlashEvent, FlashTargetResult } from '../../../shared/ipc-events';
import type { ByteProgress } from '../../../shared/progress';
import type { WriterResult } from '../../../shared/writer-protocol';
import type { WriteProgress } from '../write/write-types';
import { ejectTarget } from '../write/eject';
import { writeStreamed } from './flash-streamed';
import { checkTargets, runFlashWrite } from './flash-write';
import { recordSeededNodes } from './record-seeded';
import { resolveImage } from './resolve-image';
import type { TargetSeed } from './target-seeds';
import type { WriterLaunch } from './writer-launch';

/** Everything one flash needs; seeds are expanded before the session starts, so a bad seed never gets this far. */
export interface FlashSessionPlan {
  readonly flashId: string;
  readonly image: ImageChoice;
  readonly targets: readonly string[];
  readonly seeds: readonly TargetSeed[] | undefined;
  readonly verify: boolean;
  readonly launch: WriterLaunch;
  /** Reads the user's extra CA bundle (extra-ca.ts) for the catalog, sums and image downloads. */
  readonly extraCa?: () => Promise<Buffer | undefined>;
  /** Where the catalog versions seen are remembered (load-catalog.ts). */
  readonly configDir?: string;
}

/** Progress at most this often per target (a stream of events, not a flood), phase changes always. */
const PROGRESS_INTERVAL_MS = 200;

function throttled(emit: (e: FlashEvent) => void, flashId: string): (p: WriteProgress) => void {
  const last = new Map<string, { at: number; phase: string }>();
  return (p) => {
    const now = Date.now();
    const prev = last.get(p.target);
    if (prev && prev.phase === p.phase && now - prev.at < PROGRESS_INTERVAL_MS && p.bytes !== p.total) return;
    last.set(p.target, { at: now, phase: p.phase });
    // Field by field: the writer process's events carry more (`kind`) than the strict event schema admits.
    const { target, phase, bytes, total, rate, etaSeconds } = p;
    emit({ type: 'flash.progress', flashId, target, phase, bytes, rate, ...(total !== undefined ? { total } : {}), ...(etaSeconds !== undefined ? { etaSeconds } : {}) });
  };
}

/** Download progress as `flash.download` events, at most every PROGRESS_INTERVAL_MS. */
function throttledDownload(emit: (e: FlashEvent) => void, flashId: string): (p: ByteProgress) => void {
  let at = 0;
  return ({ bytes, total, rate, etaSeconds }) => {
    const now = Date.now();
    if (now - at < PROGRESS_INTERVAL_MS && bytes !== total) return;
    at = now;
    emit({ type: 'flash.download', flashId, bytes, rate, verified: false, ...(total !== undefined ? { total } : {}), ...(etaSeconds !== undefined ? { etaSeconds } : {}) });
  };
}

/** The image as the fleet inventory names it: the catalog entry, or the file's name. */
function imageName(choice: ImageChoice): string {
  return choice.kind === 'file' ? basename(choice.path) : choice.entryId;
}

/** One target's result as the UI sees it: the state partition and the seeded node's name and id, never its key. */
function targetResult(t: WriterResult['targets'][number], seed: TargetSeed | undefined): FlashTargetResult {
  // The error as the writer gave it: where the write or read-back failed, and what differed.
  if (!t.ok) return { target: t.path, ok: false, error: t.error, notes: t.notes };
  const seeded = t.state !== undefined && seed !== undefined;
  return {
    target: t.path,
    ok: true,
    verified: t.verified,
    notes: t.notes,
    ...(t.state ? { state: { table: t.state.table, partition: t.state.partition } } : {}),
    ...(seeded && seed.hostname !== undefined ? { hostname: seed.hostname } : {}),
    ...(seeded ? { nodeId: seed.nodeId } : {}),
  };
}

/** A target whose write was stopped part way: it holds part of the image, without its first MiB (written last). */
function stoppedTarget(target: string, code: ReportedErrorCode, message: string, cancelled: boolean): FlashTargetResult {
  const why = cancelled ? 'the write was stopped part way' : `the write stopped part way: ${message}`;
  // However the stop surfaced (an aborted stream may fail with its own error), a cancel is reported as one.
  return { target, ok: false, error: { code: cancelled ? 'ERR_ABORTED' : code, message: `${why}; the drive was left incomplete and will not boot — flash it again before use` }, notes: [] };
}

/**
 * Runs one flash to its end, reporting through `emit`: download (for a catalog entry), target checks, the write and
 * read-back per target, each target's result, and exactly one `flash.finished`. Never throws.
 */
export async function runFlashSession(plan: FlashSessionPlan, signal: AbortSignal, emit: (e: FlashEvent) => void): Promise<void> {
  const { flashId } = plan;
  let writing = false;
  let streaming: ImageStream | undefined;
  try {
    const ca = plan.image.kind === 'catalog' ? await plan.extraCa?.() : undefined;
    if (plan.image.kind === 'catalog') emit({ type: 'flash.stage', flashId, stage: 'downloading', bytes: 0, rate: 0 });
    const onDownload = throttledDownload(emit, flashId);
    const image = await resolveImage(plan.image, signal, { ca, configDir: plan.configDir }, onDownload);
    streaming = image.stream;
    // A cached (or fully downloaded) image is verified already; a streamed one when its download ends.
    if (plan.image.kind === 'catalog' && !image.stream) emit({ type: 'flash.download', flashId, bytes: image.size ?? 0, rate: 0, verified: true });
    emit({ type: 'flash.stage', flashId, stage: 'checking', bytes: 0, rate: 0 });
    const checks = await checkTargets(plan.targets, image.path, image.size);
    if (signal.aborted) throw new MaculaError('ERR_ABORTED', 'cancelled before writing');
    emit({ type: 'flash.stage', flashId, stage: 'writing', bytes: 0, rate: 0, ...(image.size !== undefined ? { total: image.size } : {}) });
    writing = true;
    const write = {
      launch: plan.launch,
      image: image.path,
      source: image.source,
      targets: plan.targets,
      verify: plan.verify,
      bmap: image.bmap,
      stateConfigs: plan.seeds?.map((s) => s.yaml),
      signal,
      onProgress: throttled(emit, flashId),
    };
    const { stream } = image;
    let result: WriterResult;
    if (stream) {
      const streamed = writeStreamed(write, stream);
      void stream.downloaded.then(
        (size) => emit({ type: 'flash.download', flashId, bytes: size, total: size, rate: 0, verified: true }),
        () => undefined,
      );
      result = (await streamed).result;
    } else {
      result = await runFlashWrite({ ...write, expectedSha256: image.sha256 });
    }
    const recorded = await recordSeededNodes(result, plan.seeds, imageName(plan.image));
    for (const [i, t] of result.targets.entries()) {
      const notes = [...t.notes];
      const record = recorded.find((r) => r.target === t.path);
      if (record) notes.push(record.warning ?? 'recorded in the fleet inventory');
      // Removable drives written well are ejected, ready to pull (as `macula flash` does by default).
      const removable = checks.find((c) => c.drive.device === t.path)?.drive.removable ?? false;
      if (t.ok && removable) {
        const ejected = await ejectTarget(t.path, removable);
        notes.push(ejected.ejected ? 'ejected: safe to remove' : `not ejected: ${ejected.why}`);
      }
      emit({ type: 'flash.target', flashId, result: targetResult({ ...t, notes }, plan.seeds?.[i]) });
    }
    const failed = result.targets.filter((t) => !t.ok).length;
    emit({
      type: 'flash.finished',
      flashId,
      outcome: failed === 0 ? 'succeeded' : signal.aborted ? 'cancelled' : 'failed',
      size: result.size,
      ...(result.sha256 ? { sha256: result.sha256 } : {}),
      ...(failed > 0 ? { error: { code: 'ERR_WRITE_FAILED', message: `${failed} of ${result.targets.length} targets failed` } } : {}),
    });
  } catch (e) {
    const code: ReportedErrorCode = isMaculaError(e) ? e.code : 'ERR_INTERNAL';
    const message = e instanceof Error ? e.message : String(e);
    // The write itself was stopped (cancel, an unreadable image): no target got its own result, yet each may hold part
    // of the image. Each is told so, rather than left looking as if it were still being written.
    if (writing) for (const target of plan.targets) emit({ type: 'flash.target', flashId, result: stoppedTarget(target, code, message, signal.aborted) });
    emit({ type: 'flash.finished', flashId, outcome: signal.aborted ? 'cancelled' : 'failed', error: { code, message } });
  } finally {
    // A download still running when the flash ended (a refused target) ends with it; after a write, it already has.
    streaming?.abandon();
  }
}
