import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { MaculaError, assertNever } from '../../../shared/errors';
import type { WriterRelay } from '../app/writer-launch';
import { prepareFifoRelay } from './fifo-relay';
import { preparePipeRelay } from './pipe-relay';
import { OpenLines, SealLines } from './sealed-lines';
import type { PendingRelay, RelayConnection } from './relay-types';

/** How the launched command ended: its exit code, or why it could not start. */
export interface CommandExit {
  readonly code: number | null;
  readonly error?: string;
  /** What the command printed on stderr (stdio transport; start and end of a long one): why pkexec or sudo refused, if they did. */
  readonly stderr?: string;
}

/**
 * A byte channel to a running writer: its stdin and stdout, whatever carries them (the child's own stdio, or a relay
 * the elevation tool's command redirects to). The protocol on top is writer-client.ts's alone.
 */
export interface WriterTransport {
  readonly input: Writable;
  readonly output: Readable;
  /** Settles when the launched command has ended (for a relay, the elevation tool, which waits for the writer). */
  readonly exited: Promise<CommandExit>;
  /** Ends the writer's stdin: after a result, the writer is done anyway. */
  end(): void;
  /** Gives up on the writer: our ends closed (a root writer cannot be signalled; it gets EPIPE) and the command killed. */
  kill(): void;
}

export interface TransportOptions {
  readonly signal?: AbortSignal | undefined;
  /** How long the relay waits for the writer to open it while the elevation tool still runs (ms). */
  readonly openTimeoutMs?: number | undefined;
}

/**
 * The password dialog stays up while the user reads it; past this the flash is given up rather than left pending.
 * The usual cancellation, dismissing the dialog, ends the elevation tool and so the wait at once.
 */
const DEFAULT_OPEN_TIMEOUT_MS = 5 * 60_000;

/** `command` (a child of ours) ended: code, or the spawn error. `close`, not `exit`: its stderr is complete then. */
function exitOf(child: ChildProcess): Promise<CommandExit> {
  return new Promise((resolve) => {
    // `on`, not `once`: a later 'error' (a failed kill) must not go unhandled; the promise keeps the first outcome.
    child.on('error', (e) => resolve({ code: null, error: e.message }));
    child.once('close', (code) => resolve({ code }));
  });
}

/** The writer's stdio is the child's own: pkexec and sudo hand it through. */
export function stdioTransport(command: readonly [string, ...string[]]): WriterTransport {
  const [cmd, ...args] = command;
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // A writer that died makes its stdin fail with EPIPE; `exited` reports the death, so the write error adds nothing.
  child.stdin.on('error', () => undefined);
  // Passed on to our stderr as before, and its end kept: when pkexec refuses ("Not authorized") it says so only
  // there, and the error the user sees must say it too (writer-client.ts).
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    process.stderr.write(chunk);
    stderr += chunk;
    // Its start (a crash's "Error: …" line) and its end (pkexec's reason), not all of a long stack trace.
    if (stderr.length > 1000) stderr = `${stderr.slice(0, 400)}\n…\n${stderr.slice(-400)}`;
  });
  return {
    input: child.stdin,
    output: child.stdout,
    exited: exitOf(child).then((exit) => ({ ...exit, stderr: stderr.trim() })),
    end: () => void child.stdin.end(),
    kill: () => void child.kill(),
  };
}

/**
 * Runs `command` (osascript, or PowerShell's Start-Process -Verb RunAs) with `relay` serving the writer's stdio, and
 * resolves once the elevated writer has opened both ends. Rejects — with the relay released and removed, and nothing
 * left waiting — when the elevation tool ends first (the dialog dismissed: ERR_TARGET_ACCESS_DENIED), when
 * `openTimeoutMs` passes, or when `signal` aborts.
 */
export async function relayTransport(command: readonly [string, ...string[]], relay: WriterRelay, options: TransportOptions = {}): Promise<WriterTransport> {
  options.signal?.throwIfAborted();
  const pending = await prepareRelay(relay);
  const [cmd, ...args] = command;
  let child: ChildProcess;
  try {
    // Its stdout is the writer's, redirected to the relay; its stderr tells why authorization failed.
    child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    await pending.abandon();
    throw e;
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-500)));
  const exited = exitOf(child);

  type Outcome = { kind: 'connected'; connection: RelayConnection } | { kind: 'exited'; exit: CommandExit } | { kind: 'timeout' } | { kind: 'aborted' };
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const outcome = await Promise.race<Outcome>([
    pending.connected.then((connection) => ({ kind: 'connected', connection }) as const),
    exited.then((exit) => ({ kind: 'exited', exit }) as const),
    new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'timeout' }), options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS))),
    new Promise<Outcome>((resolve) => {
      onAbort = () => resolve({ kind: 'aborted' });
      options.signal?.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  clearTimeout(timer);
  if (onAbort) options.signal?.removeEventListener('abort', onAbort);

  if (outcome.kind === 'connected') {
    const { input, output } = outcome.connection;
    input.on('error', () => undefined);
    output.on('error', () => undefined);
    if (relay.key === undefined) {
      return { input, output, exited, end: () => void input.end(), kill: () => (input.destroy(), output.destroy(), child.kill()) };
    }
    // Sealed both ways (sealed-lines.ts); a line that fails to open ends the events, and its reason is the exit's.
    const sealed = new SealLines(relay.key, 'request');
    sealed.pipe(input);
    const opened = output.pipe(new OpenLines(relay.key, 'event'));
    return {
      input: sealed,
      output: opened,
      exited: exited.then((exit) => (opened.refused ? { ...exit, stderr: opened.refused.message } : exit)),
      end: () => void sealed.end(),
      kill: () => (sealed.destroy(), input.destroy(), output.destroy(), child.kill()),
    };
  }
  if (outcome.kind !== 'exited') child.kill();
  await pending.abandon();
  // Lost race: both ends opened just as we gave up; nobody will read them.
  void pending.connected.then(({ input, output }) => (input.destroy(), output.destroy()), () => undefined);
  const tool = relay.via === 'osascript' ? 'osascript' : 'the UAC prompt (Start-Process -Verb RunAs)';
  const said = stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
  switch (outcome.kind) {
    case 'exited': {
      const { code, error } = outcome.exit;
      if (error !== undefined) throw new MaculaError('ERR_WRITE_FAILED', `cannot start ${cmd}: ${error}`);
      if (code === 0) throw new MaculaError('ERR_WRITE_FAILED', `the elevated writer ended without opening its relay (${tool} exited 0${said})`);
      throw new MaculaError('ERR_TARGET_ACCESS_DENIED', `authorization was cancelled or refused, the writer did not start (${tool} exited ${code ?? 'on a signal'}${said})`);
    }
    case 'timeout':
      throw new MaculaError('ERR_WRITE_FAILED', `the elevated writer did not start within ${Math.round((options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS) / 1000)} s (${tool})`);
    case 'aborted':
      throw new MaculaError('ERR_ABORTED', 'cancelled before the writer started');
    default:
      return assertNever(outcome);
  }
}

function prepareRelay(relay: WriterRelay): Promise<PendingRelay> {
  switch (relay.via) {
    case 'osascript':
      return prepareFifoRelay(relay);
    case 'uac':
      return preparePipeRelay(relay);
    default:
      return assertNever(relay.via);
  }
}
