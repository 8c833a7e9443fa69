import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import { type WriterEvent, type WriterRequest, writerRequestSchema } from '../../../shared/writer-protocol';
import { assertWritable } from '../drives/check-target';
import { openImage } from '../source/open-image';
import { readBmap } from '../source/read-bmap';
import { parseSeedYaml } from '../../../shared/seed-yaml';
import { writeImage } from '../write/write-targets';
import { validateElevatedTargets } from './elevated-targets';
import { GrowthFeed } from './growth-feed';
import { type CallerFile, openAsCaller, writerCaller } from './writer-caller';
import { beginGrowth } from '../source/growing-file';

/** Parses one request line; a line that is not JSON or not in the protocol is an ERR_USAGE. */
export function parseWriterRequest(line: string): WriterRequest {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new MaculaError('ERR_USAGE', 'writer protocol: a request line is not JSON');
  }
  const parsed = writerRequestSchema.safeParse(json);
  if (!parsed.success) throw new MaculaError('ERR_USAGE', `writer protocol: invalid request (${parsed.error.issues[0]?.message ?? 'unknown'})`);
  return parsed.data;
}

/**
 * The seeds of a request, one per target, each parsed and validated again here: the writer trusts no one. A seed is
 * written byte for byte as it came, so what was validated is what the node reads.
 */
function checkedSeeds(seeds: readonly string[], targets: number): readonly string[] {
  if (seeds.length !== targets) throw new MaculaError('ERR_USAGE', `writer protocol: ${seeds.length} seeds for ${targets} targets`);
  seeds.forEach((text, i) => parseSeedYaml(text, `the seed for target ${i + 1}`));
  return seeds;
}

export interface ServeWriterOptions {
  /** The drives named on the writer's command line, which the elevation prompt showed: the request may name no other. */
  readonly approvedDrives?: readonly string[];
}

/** The request's targets must be exactly the drives the user approved, or nothing is written. */
function assertApproved(targets: readonly string[], approved: readonly string[]): void {
  const same = targets.length === approved.length && targets.every((t) => approved.includes(t));
  if (!same) throw new MaculaError('ERR_USAGE', `writer protocol: the request names drives (${targets.join(', ')}) other than the ones approved (${approved.join(', ')})`);
}

/**
 * `macula write --ipc`: the privileged writer. Reads one `write` request from `input` (and later a `cancel`),
 * re-checks every target itself (the unprivileged side is not trusted to have done it), writes, and reports
 * JSON-lines events on `output`. Returns the error that ended it before a result (also sent as an `error` event).
 * Run as root it trusts nothing it is told (docs/flashing.md, "The elevated writer"): it opens the image and block map
 * with its caller's rights only, writes only whole-disk block devices it validated itself, and, given the verified
 * SHA-256, writes chunk 0 only when the image it read hashed to it.
 */
export async function serveWriter(input: Readable, output: Writable, options: ServeWriterOptions = {}): Promise<MaculaError | undefined> {
  const emit = (event: WriterEvent): void => void output.write(`${JSON.stringify(event)}\n`);
  const files: CallerFile[] = [];
  // Messages name the files as the caller did, not by the descriptors they are read through.
  const unmasked = (message: string): string => files.reduce((text, f) => text.replaceAll(f.path, f.named), message);
  const controller = new AbortController();
  const lines = createInterface({ input, crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  let feed: GrowthFeed | undefined;
  try {
    const first = await iterator.next();
    if (first.done) throw new MaculaError('ERR_USAGE', 'writer protocol: no request on stdin');
    const request = parseWriterRequest(first.value);
    if (request.kind !== 'write') throw new MaculaError('ERR_USAGE', 'writer protocol: the first request must be a write');
    // Later lines may only cancel, or end a growing image; anything else is ignored after being refused.
    feed = new GrowthFeed(controller);
    void (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        try {
          const later = parseWriterRequest(next.value);
          if (later.kind === 'cancel') feed.cancel();
          else if (later.kind === 'grown') feed.grown(later.size);
        } catch {
          /* a malformed line after the request cannot change the write */
        }
      }
      // The client is gone: a file it was still downloading will never be said to end.
      feed.closed();
    })();
    if (options.approvedDrives) assertApproved(request.targets, options.approvedDrives);
    const stateConfigs = request.seeds && checkedSeeds(request.seeds, request.targets.length);
    const caller = writerCaller();
    // The image and the block map are opened with the caller's rights and held open; the engine reads them through
    // those descriptors, so a path swapped afterwards changes nothing (writer-caller.ts).
    const image = await openAsCaller(caller, request.image, 'image');
    files.push(image);
    // A file still being downloaded is read as it grows, through the descriptor's path (growing-file.ts).
    if (request.growing) feed?.attach(beginGrowth(image.path, request.size));
    const bmapFile = request.bmap !== undefined ? await openAsCaller(caller, request.bmap, 'block map') : undefined;
    if (bmapFile) files.push(bmapFile);
    const source = await openImage(image.path);
    const bmap = bmapFile && (await readBmap(bmapFile.path));
    const imageSize = source.sizeHint ?? bmap?.imageSize;
    // As root, only whole-disk block devices this process validated itself, each pinned to its device number.
    const elevated = caller.kind === 'unprivileged' ? undefined : await validateElevatedTargets(request.targets, image.path, imageSize);
    const named = (path: string): string => elevated?.find((t) => t.device === path)?.named ?? path;
    const result = await writeImage({
      source,
      targets: elevated?.map((t) => t.device) ?? request.targets,
      verify: request.verify,
      skipZeros: request.writeZeros !== true,
      bmap,
      ...(stateConfigs ? { stateConfigs } : {}),
      ...(request.sha256 !== undefined ? { expectedSha256: request.sha256 } : {}),
      ...(elevated ? { pinnedDevices: new Map(elevated.map((t) => [t.device, t.rdev])) } : {}),
      signal: controller.signal,
      preflight: async (target, size) => {
        await assertWritable(target, { imagePath: image.path, ...(size !== undefined ? { imageSize: size } : {}) });
      },
      onProgress: (p) => emit({ kind: 'progress', ...p, target: named(p.target) }),
    });
    emit({
      kind: 'result',
      size: result.size,
      ...(result.sha256 !== undefined ? { sha256: result.sha256 } : {}),
      targets: result.targets.map((t) =>
        t.ok ? { ...t, path: named(t.path), notes: [...t.notes] } : { ...t, path: named(t.path), error: { ...t.error, message: unmasked(t.error.message) }, notes: [...t.notes] },
      ),
    });
    return undefined;
  } catch (e) {
    const error = isMaculaError(e) ? e : new MaculaError('ERR_WRITE_FAILED', e instanceof Error ? e.message : String(e), {}, { cause: e });
    emit({ kind: 'error', code: error.code, message: unmasked(error.message) });
    return error;
  } finally {
    feed?.detach();
    lines.close();
    await Promise.all(files.map((f) => f.handle.close().catch(() => undefined)));
  }
}
