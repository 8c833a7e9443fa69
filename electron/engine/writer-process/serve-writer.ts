import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import { type WriterEvent, type WriterRequest, writerRequestSchema } from '../../../shared/writer-protocol';
import { assertWritable } from '../drives/check-target';
import { openImage } from '../source/open-image';
import { readBmap } from '../source/read-bmap';
import { parseSeedYaml } from '../../../shared/seed-yaml';
import { writeImage } from '../write/write-targets';

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

/**
 * `macula write --ipc`: the privileged writer. Reads one `write` request from `input` (and later a `cancel`),
 * re-checks every target itself (the unprivileged side is not trusted to have done it), writes, and reports
 * JSON-lines events on `output`. Returns the error that ended it before a result (also sent as an `error` event).
 */
export async function serveWriter(input: Readable, output: Writable): Promise<MaculaError | undefined> {
  const emit = (event: WriterEvent): void => void output.write(`${JSON.stringify(event)}\n`);
  const controller = new AbortController();
  const lines = createInterface({ input, crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
    if (first.done) throw new MaculaError('ERR_USAGE', 'writer protocol: no request on stdin');
    const request = parseWriterRequest(first.value);
    if (request.kind !== 'write') throw new MaculaError('ERR_USAGE', 'writer protocol: the first request must be a write');
    // Later lines may only cancel; anything else is ignored after being refused.
    void (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        try {
          if (parseWriterRequest(next.value).kind === 'cancel') controller.abort(new MaculaError('ERR_ABORTED', 'cancelled'));
        } catch {
          /* a malformed line after the request cannot change the write */
        }
      }
    })();
    const stateConfigs = request.seeds && checkedSeeds(request.seeds, request.targets.length);
    const source = await openImage(request.image);
    const bmap = request.bmap !== undefined ? await readBmap(request.bmap) : undefined;
    const result = await writeImage({
      source,
      targets: request.targets,
      verify: request.verify,
      skipZeros: request.writeZeros !== true,
      bmap,
      ...(stateConfigs ? { stateConfigs } : {}),
      signal: controller.signal,
      preflight: async (target, imageSize) => {
        await assertWritable(target, { imagePath: request.image, ...(imageSize !== undefined ? { imageSize } : {}) });
      },
      onProgress: (p) => emit({ kind: 'progress', ...p }),
    });
    emit({
      kind: 'result',
      size: result.size,
      ...(result.sha256 !== undefined ? { sha256: result.sha256 } : {}),
      targets: result.targets.map((t) => (t.ok ? { ...t, notes: [...t.notes] } : { ...t, error: { ...t.error }, notes: [...t.notes] })),
    });
    return undefined;
  } catch (e) {
    const error = isMaculaError(e) ? e : new MaculaError('ERR_WRITE_FAILED', e instanceof Error ? e.message : String(e), {}, { cause: e });
    emit({ kind: 'error', code: error.code, message: error.message });
    return error;
  } finally {
    lines.close();
  }
}
