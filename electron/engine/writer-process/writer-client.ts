import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MaculaError, isErrorCode } from '../../../shared/errors';
import {
  WRITER_PROTOCOL_VERSION,
  type WriterEvent,
  type WriterResult,
  writerEventSchema,
} from '../../../shared/writer-protocol';

export interface RunWriterOptions {
  /** The writer command line, e.g. `['pkexec', node, macula.js, 'write', '--ipc']`. */
  readonly command: readonly [string, ...string[]];
  readonly image: string;
  readonly targets: readonly string[];
  readonly verify: boolean;
  /** A .bmap file for a sparse write. */
  readonly bmap?: string | undefined;
  /** Seeding: the cloud-config text for each target, in `targets` order (secrets: they travel only over stdin). */
  readonly seeds?: readonly string[] | undefined;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: Extract<WriterEvent, { kind: 'progress' }>) => void;
}

/**
 * Runs the writer as its own (elevated) process and speaks the JSON-lines protocol with it. Every line it prints is
 * validated; an invalid line, a missing result or a writer that dies is an error, never a silent success.
 */
export function runWriter(opts: RunWriterOptions): Promise<WriterResult> {
  const [cmd, ...args] = opts.command;
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.write(
    `${JSON.stringify({
      kind: 'write',
      version: WRITER_PROTOCOL_VERSION,
      image: opts.image,
      targets: [...opts.targets],
      verify: opts.verify,
      ...(opts.bmap !== undefined ? { bmap: opts.bmap } : {}),
      ...(opts.seeds !== undefined ? { seeds: [...opts.seeds] } : {}),
    })}\n`,
  );
  const cancel = (): void => void child.stdin.write(`${JSON.stringify({ kind: 'cancel' })}\n`);
  opts.signal?.addEventListener('abort', cancel, { once: true });

  return new Promise<WriterResult>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', cancel);
      child.stdin.end();
      fn();
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      let event: WriterEvent;
      try {
        event = writerEventSchema.parse(JSON.parse(line));
      } catch {
        child.kill();
        return settle(() => reject(new MaculaError('ERR_USAGE', `writer sent an invalid line: ${line.slice(0, 200)}`)));
      }
      if (event.kind === 'progress') opts.onProgress?.(event);
      else if (event.kind === 'result') settle(() => resolve(event));
      // The writer's own code (a refused seed, an unreadable image) is kept, so the CLI exits as it would in-process.
      else settle(() => reject(new MaculaError(isErrorCode(event.code) ? event.code : 'ERR_WRITE_FAILED', `writer: ${event.message}`)));
    });
    child.on('error', (e) => settle(() => reject(new MaculaError('ERR_WRITE_FAILED', `cannot start the writer: ${e.message}`))));
    child.on('close', (code) => settle(() => reject(new MaculaError('ERR_WRITE_FAILED', `the writer exited (${code}) without a result`))));
  });
}
