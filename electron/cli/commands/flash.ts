import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { type Bmap, mappedSize } from '../../../shared/bmap';
import { MaculaError, isErrorCode } from '../../../shared/errors';
import { formatSize } from '../../../shared/drive';
import type { ByteProgress } from '../../../shared/progress';
import type { WriterResult } from '../../../shared/writer-protocol';
import { checkTargets, runFlashWrite } from '../../engine/app/flash-write';
import type { ImageStream } from '../../engine/acquire/stream-acquire';
import type { ImageSource } from '../../engine/source/image-source';
import { openImage } from '../../engine/source/open-image';
import { findSidecarBmap } from '../../engine/source/bmap-sidecar';
import { ejectTarget } from '../../engine/write/eject';
import { ACQUIRE_OPTIONS, ACQUIRE_USAGE, isRemoteImage } from '../acquire-options';
import type { Command, CommandContext } from '../command';
import { confirm } from '../confirm';
import { elevatedWriterCommand, isPrivileged } from '../elevation';
import { formatBytes } from '../output';
import { FLASH_SEED_OPTIONS, FLASH_SEED_USAGE, chooseSeeds } from '../flash-seeds';

/**
 * The block map to use: `--bmap FILE`, else `IMAGE.bmap` beside the image (announced), unless `--no-bmap`. Its
 * ImageSize is checked against the image's size here already when the container records it.
 */
async function chooseBmap({ args, out }: CommandContext, image: string, source: ImageSource, sidecar?: string): Promise<{ path: string; bmap: Bmap } | undefined> {
  const given = args.string('bmap');
  if (given !== undefined && args.flag('no-bmap')) throw new MaculaError('ERR_USAGE', '--bmap and --no-bmap contradict each other');
  // A streamed image's block map lies where the image will be cached, not beside its partial file.
  const path = given ?? (args.flag('no-bmap') ? undefined : (sidecar ?? (await findSidecarBmap(image))));
  if (path === undefined) return undefined;
  const { readBmap } = await import('../../engine/source/read-bmap');
  const bmap = await readBmap(path);
  if (source.sizeHint !== undefined && source.sizeHint !== bmap.imageSize) {
    throw new MaculaError('ERR_SIZE_MISMATCH', `${path} describes an image of ${bmap.imageSize} bytes, ${image} is ${source.sizeHint}: wrong bmap for this image`, {
      path,
      expected: bmap.imageSize,
      actual: source.sizeHint,
    });
  }
  const mapped = mappedSize(bmap);
  const text = `${given === undefined ? 'using the block map found beside the image' : 'using the block map'} ${path}: writing ${formatBytes(mapped)} of ${formatBytes(bmap.imageSize)}`;
  out.event('bmap', { path, sidecar: given === undefined, mappedBytes: mapped, imageSize: bmap.imageSize }, text);
  return { path, bmap };
}

/** `macula flash`: write an image to one or more drives at once, then read each back to verify it. */
export const flashCommand: Command = {
  usage: `macula flash IMAGE|ENTRY|URL --to DEV [--to DEV …] ${FLASH_SEED_USAGE} [--bmap FILE | --no-bmap] [--no-verify] [--write-zeros] [--no-eject] [--yes] [--json] ${ACQUIRE_USAGE}`,
  summary: 'write an image (compressed or not) to drives, seeded if asked, checked first, read back and compared after',
  keepsAwake: 'Writing drives',
  options: {
    ...ACQUIRE_OPTIONS,
    ...FLASH_SEED_OPTIONS,
    to: { type: 'string', multiple: true },
    bmap: { type: 'string' },
    'no-bmap': { type: 'boolean' },
    'no-verify': { type: 'boolean' },
    'write-zeros': { type: 'boolean' },
    'no-eject': { type: 'boolean' },
    yes: { type: 'boolean' },
  },
  async run(context) {
    let stream: ImageStream | undefined;
    try {
      await flash(context, (s) => (stream = s));
    } finally {
      // A download still running when the flash ended (a refused target, a declined prompt) ends with it.
      stream?.abandon();
    }
  },
};

/** The flash itself; `streaming` is told of an image being flashed as it downloads. */
async function flash(context: CommandContext, streaming: (stream: ImageStream) => void): Promise<void> {
  const { args, out, signal } = context;
  const given = args.positional(0, 'IMAGE');
  const targets = args.strings('to');
  if (targets.length === 0) throw new MaculaError('ERR_USAGE', `give at least one --to DEV\nusage: ${flashCommand.usage}`);
  if (new Set(targets).size !== targets.length) throw new MaculaError('ERR_USAGE', 'the same target is given twice');
  // The seeds are checked before anything is downloaded, asked or written.
  const seeds = await chooseSeeds(args, targets, out, signal);
  const stateConfigs = seeds?.map((s) => s.yaml);
  // Download progress and each target's write share one status line (a streamed flash does both at once).
  const bars = new Map<string, string>();
  const show = (key: string, text: string): void => {
    bars.set(key, text);
    out.status([...bars.values()].join(' | '));
  };
  const onDownload = (p: ByteProgress): void => {
    if (out.json) return out.progress(p, 'downloading');
    show('download', `download ${p.total ? `${Math.floor((100 * p.bytes) / p.total)}%` : formatBytes(p.bytes)} ${formatBytes(p.rate)}/s`);
  };
  // A catalog entry or URL is checked against its signed sums first; then it is flashed as it downloads (raw, gzip,
  // zstd, bzip2: docs/flashing.md, "Streaming from a download"), or read from the cache. The download, catalog and
  // OpenPGP modules (and the seed, bmap and fleet ones below) load only when used: a plain flash of a local image stays
  // within its memory budget (issue 3: 100 MB).
  const remote = isRemoteImage(given, existsSync(given));
  const acquisition = remote ? await (await import('../acquire-args')).acquireForFlash(given, args, out, signal, onDownload) : undefined;
  const acquired = acquisition?.kind === 'cached' ? acquisition.image : undefined;
  const stream = acquisition?.kind === 'streaming' ? acquisition.stream : undefined;
  if (stream) streaming(stream);
  const image = stream?.path ?? acquired?.path ?? given;
  const source = await openImage(image);
  const sparse = await chooseBmap(context, image, source, stream?.bmap?.path);
  const imageSize = source.sizeHint ?? sparse?.bmap.imageSize;

  // Every target is checked before anything is asked or written: one refused target refuses the whole flash.
  const checks = await checkTargets(targets, image, imageSize, (target, check) => {
    for (const w of check.warnings) out.event('warning', { target, reason: w.reason, message: w.message }, `warning: ${target}: ${w.message}`);
  });

  if (!args.flag('yes')) {
    if (!process.stdin.isTTY) throw new MaculaError('ERR_USAGE', 'flashing erases the targets: confirm with --yes when not on a terminal');
    const list = checks.map((c) => `  ${c.drive.device}  ${c.drive.size === null ? 'size unknown' : formatSize(c.drive.size)}  ${c.drive.description || '(no model)'}`);
    const ok = await confirm(`This ERASES everything on:\n${list.join('\n')}\nType "yes" to write ${image}: `);
    if (!ok) throw new MaculaError('ERR_USAGE', 'not confirmed; nothing was written');
  }

  const verify = !args.flag('no-verify');
  const onProgress = (p: { target: string; phase: string; bytes: number; total?: number; rate: number }): void => {
    if (out.json) return out.event('progress', { ...p }, '');
    const pct = p.total ? `${Math.floor((100 * p.bytes) / p.total)}%` : formatBytes(p.bytes);
    show(p.target, `${p.target} ${p.phase} ${pct} ${formatBytes(p.rate)}/s`);
  };
  const write = {
    launch: isPrivileged() ? { kind: 'in-process' as const } : { kind: 'elevated' as const, command: elevatedWriterCommand() },
    image,
    source,
    targets,
    verify,
    writeZeros: args.flag('write-zeros'),
    bmap: sparse,
    stateConfigs,
    signal,
    onProgress,
  };
  let result: WriterResult;
  if (stream) {
    const streamed = await (await import('../../engine/app/flash-streamed')).writeStreamed(write, stream);
    out.endProgress();
    const { reportAcquired } = await import('../acquire-args');
    reportAcquired(streamed.image, out);
    result = streamed.result;
  } else {
    // What the signed sums vouch for is what becomes bootable: the writer checks the file it reads against it.
    result = await runFlashWrite({ ...write, expectedSha256: acquired?.sha256 });
  }
  out.endProgress();

  const { STATE_LABEL } = seeds ? await import('../../engine/seed/state-filesystem') : { STATE_LABEL: '' };
  for (const [i, t] of result.targets.entries()) {
    const seed = seeds?.[i] && { hostname: seeds[i].hostname ?? null, nodeId: seeds[i].nodeId };
    const seeded = t.ok && t.state && seed ? `; seeded${seed.hostname ? ` ${seed.hostname}` : ''} (node ${seed.nodeId}) in ${STATE_LABEL}, partition ${t.state.partition}` : '';
    if (t.ok) out.event('target', { ...t, ...(seed ? { seed } : {}) }, `OK ${t.path}: written${t.verified ? ' and verified' : ' (not verified)'}${seeded}${t.notes.length ? ` (${t.notes.join('; ')})` : ''}`);
    else out.event('target', { ...t }, `FAILED ${t.path}: ${t.error.message}`);
  }
  // Seeded nodes go into the fleet inventory (with their pairing keys, 0600) for `macula pair` and discovery.
  const recorded = seeds ? await (await import('../../engine/app/record-seeded')).recordSeededNodes(result, seeds, basename(given)) : [];
  for (const r of recorded) {
    if (r.warning !== undefined) out.event('warning', { target: r.target, nodeId: r.nodeId, message: r.warning }, `warning: ${r.target}: ${r.warning}`);
    else out.event('recorded', { target: r.target, nodeId: r.nodeId }, `Recorded node ${r.nodeId} in the fleet inventory`);
  }
  // Removable drives that were written (and verified, unless --no-verify) are ejected, ready to pull.
  if (!args.flag('no-eject')) {
    for (const t of result.targets) {
      const removable = checks.find((c) => c.drive.device === t.path)?.drive.removable ?? false;
      if (!t.ok || !removable) continue;
      const ejected = await ejectTarget(t.path, removable);
      out.event('eject', { path: t.path, ...ejected }, ejected.ejected ? `Ejected ${t.path}: safe to remove` : `Not ejected ${t.path}: ${ejected.why}`);
    }
  }
  out.event('flashed', { sha256: result.sha256 ?? null, size: result.size }, `Image ${formatBytes(result.size)}, sha256 ${result.sha256 ?? 'unknown'}`);
  const failed = result.targets.find((t) => !t.ok);
  if (failed && !failed.ok) {
    const code = isErrorCode(failed.error.code) ? failed.error.code : 'ERR_WRITE_FAILED';
    throw new MaculaError(code, `${result.targets.filter((t) => !t.ok).length} of ${result.targets.length} targets failed`);
  }
}
