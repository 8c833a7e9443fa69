import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { MaculaError, isErrorCode } from '../../../shared/errors';
import {
  WRITER_PROTOCOL_VERSION,
  type WriterEvent,
  type WriterResult,
  writerEventSchema,
} from '../../../shared/writer-protocol';
import type { WriterRelay } from '../app/writer-launch';
import { type CommandExit, type WriterTransport, relayTransport, stdioTransport } from './writer-transport';

/** A download the writer reads as it grows: its announced size, and its end (rejects when the download failed). */
export interface Growing {
  readonly expectedSize: number | undefined;
  readonly downloaded: Promise<number>;
}

export interface RunWriterOptions {
  /**
   * The writer command line, e.g. `['pkexec', node, macula.js, 'write', '--ipc']`; with `relay`, the elevation tool's
   * command, whose writer reads and writes `relay` instead of the command's stdio.
   */
  readonly command: readonly [string, ...string[]];
  readonly relay?: WriterRelay | undefined;
  /** With `relay`: how long the elevated writer may take to open it (ms; the user may be reading the dialog). */
  readonly openTimeoutMs?: number | undefined;
  readonly image: string;
  readonly targets: readonly string[];
  readonly verify: boolean;
  /** Write every block, zero blocks included, even on a target that reads back zeros after a discard. */
  readonly writeZeros?: boolean | undefined;
  /** A .bmap file for a sparse write. */
  readonly bmap?: string | undefined;
  /** Seeding: the cloud-config text for each target, in `targets` order (secrets: they travel only over stdin). */
  readonly seeds?: readonly string[] | undefined;
  /** The image file's verified SHA-256: the writer writes chunk 0 only if the file it read hashes to it. */
  readonly sha256?: string | undefined;
  /** The image is still being downloaded: the writer reads it as it grows until told it ended (or the download failed). */
  readonly growing?: Growing | undefined;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: Extract<WriterEvent, { kind: 'progress' }>) => void;
}

/**
 * Runs the writer as its own (elevated) process and speaks the JSON-lines protocol with it, over the child's stdio or
 * over a relay (writer-transport.ts). Every line it prints is validated; an invalid line, a missing result or a writer
 * that dies is an error, never a silent success.
 */
export async function runWriter(opts: RunWriterOptions): Promise<WriterResult> {
  const transport = opts.relay
    ? await relayTransport(opts.command, opts.relay, { signal: opts.signal, openTimeoutMs: opts.openTimeoutMs })
    : stdioTransport(opts.command);
  transport.input.write(
    `${JSON.stringify({
      kind: 'write',
      version: WRITER_PROTOCOL_VERSION,
      image: opts.image,
      targets: [...opts.targets],
      verify: opts.verify,
      ...(opts.writeZeros ? { writeZeros: true } : {}),
      ...(opts.bmap !== undefined ? { bmap: opts.bmap } : {}),
      ...(opts.seeds !== undefined ? { seeds: [...opts.seeds] } : {}),
      ...(opts.sha256 !== undefined ? { sha256: opts.sha256.toLowerCase() } : {}),
      ...(opts.growing ? { growing: true } : {}),
      ...(opts.growing?.expectedSize !== undefined ? { size: opts.growing.expectedSize } : {}),
    })}\n`,
  );
  return speak(transport, opts);
}

/** The protocol after the request: progress events, then one result or error, each line validated. */
function speak(transport: WriterTransport, opts: RunWriterOptions): Promise<WriterResult> {
  const cancel = (): void => void transport.input.write(`${JSON.stringify({ kind: 'cancel' })}\n`);
  if (opts.signal?.aborted) cancel();
  else opts.signal?.addEventListener('abort', cancel, { once: true });

  return new Promise<WriterResult>((resolve, reject) => {
    let settled = false;
    // The download's end tells the writer where the file ends; its failure cancels the write (chunk 0 stays unwritten).
    opts.growing?.downloaded.then(
      (size) => void (settled || transport.input.write(`${JSON.stringify({ kind: 'grown', size })}\n`)),
      () => void (settled || cancel()),
    );
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', cancel);
      transport.end();
      fn();
    };
    const lines = createInterface({ input: transport.output, crlfDelay: Infinity });
    const drained = new Promise<void>((done) => lines.once('close', done));
    let spoke = false;
    lines.on('line', (line) => {
      spoke = true;
      let event: WriterEvent;
      try {
        event = writerEventSchema.parse(JSON.parse(line));
      } catch {
        transport.kill();
        return settle(() => reject(new MaculaError('ERR_USAGE', `writer sent an invalid line: ${line.slice(0, 200)}`)));
      }
      if (event.kind === 'progress') opts.onProgress?.(event);
      else if (event.kind === 'result') settle(() => resolve(event));
      // The writer's own code (a refused seed, an unreadable image) is kept, so the CLI exits as it would in-process.
      else settle(() => reject(new MaculaError(isErrorCode(event.code) ? event.code : 'ERR_WRITE_FAILED', `writer: ${event.message}`)));
    });
    // Both the command's end and the last line: a relayed writer's lines may still be in flight when the elevation
    // tool's exit is seen.
    void transport.exited.then(async (exit) => {
      if (exit.error === undefined) await drained;
      settle(() => reject(endedWithoutResult(exit, opts.command[0], spoke)));
    });
  });
}

function endedWithoutResult(exit: CommandExit, tool: string, spoke: boolean): MaculaError {
  if (exit.error !== undefined) return new MaculaError('ERR_WRITE_FAILED', `cannot start the writer: ${exit.error}`);
  const said = exit.stderr ? `: ${exit.stderr}` : '';
  // pkexec exits 126 when the authentication dialog was dismissed and 127 when polkit said no (or no agent could ask,
  // or it could not run the program), in both cases before the writer ran: nothing was written. Without this the
  // user saw only "the writer exited (127) without a result". A writer that printed a line did run, whatever its code.
  if (!spoke && basename(tool) === 'pkexec' && (exit.code === 126 || exit.code === 127)) {
    const what = exit.code === 126 ? 'cancelled' : 'refused or could not be obtained';
    return new MaculaError('ERR_TARGET_ACCESS_DENIED', `authorization was ${what}, the writer did not start (pkexec exited ${exit.code}${said})`);
  }
  return new MaculaError('ERR_WRITE_FAILED', `the writer exited (${exit.code}) without a result${said}`);
}
