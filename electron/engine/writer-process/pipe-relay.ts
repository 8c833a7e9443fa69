import { type Server, type Socket, createServer } from 'node:net';
import { MaculaError } from '../../../shared/errors';
import type { RelayEndpoints } from '../app/writer-launch';
import type { PendingRelay } from './relay-types';

/** A server on `path` that takes exactly one connection. */
interface OneShot {
  readonly socket: Promise<Socket>;
  close(): void;
}

/**
 * Listens on `path` (a Windows named pipe; a Unix socket elsewhere, which is how this is tested) and accepts exactly
 * one connection: the server closes on the first, so the name stops existing and no one can connect later, and
 * maxConnections = 1 makes Node drop any other connection accepted in the same poll before that close takes effect.
 * libuv creates the first pipe instance with FILE_FLAG_FIRST_PIPE_INSTANCE, so a name someone else already holds
 * fails the listen instead of being shared.
 */
async function listenOnce(path: string): Promise<OneShot> {
  const server: Server = createServer();
  server.maxConnections = 1;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let accepted: Socket | undefined;
  const socket = new Promise<Socket>((resolve, reject) => {
    server.once('connection', (s) => {
      accepted = s;
      server.close();
      resolve(s);
    });
    server.once('close', () => reject(new MaculaError('ERR_ABORTED', 'writer relay closed before the writer connected')));
  });
  socket.catch(() => undefined);
  return {
    socket,
    close: () => {
      if (server.listening) server.close();
      accepted?.destroy();
    },
  };
}

/**
 * The Windows relay: a named pipe for the writer's stdin and one for its stdout, each served by the app for exactly
 * one connection (cmd.exe's `<` and `>` redirections in the elevated process). Node cannot set the pipes' DACL, and
 * the default one lets any local account open them, so a process that lists \\.\pipe\ could connect first (while the
 * UAC prompt is up). It gets nothing: every line is sealed with a key that only the elevated command line carries
 * (sealed-lines.ts), so it reads no request (seeds included) and cannot forge a result; the real writer then fails
 * to connect and the flash fails, with nothing written.
 */
export async function preparePipeRelay(ends: RelayEndpoints): Promise<PendingRelay> {
  const input = await listenOnce(ends.input);
  let output: OneShot;
  try {
    output = await listenOnce(ends.output);
  } catch (e) {
    input.close();
    throw new MaculaError('ERR_IO', `cannot serve the writer's pipe ${ends.output}: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
  }
  let state: 'waiting' | 'connected' | 'abandoned' = 'waiting';
  const connected = Promise.all([input.socket, output.socket]).then(([i, o]) => {
    if (state === 'abandoned') throw new MaculaError('ERR_ABORTED', 'writer relay abandoned');
    state = 'connected';
    return { input: i, output: o };
  });
  connected.catch(() => undefined);
  return {
    connected,
    abandon() {
      if (state === 'waiting') {
        state = 'abandoned';
        input.close();
        output.close();
      }
      return Promise.resolve();
    },
  };
}
