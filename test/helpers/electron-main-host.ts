/**
 * A stand-in for the Electron main process, for renderer tests that run the real preload against a contextBridge-like
 * copy (helpers/context-bridge.ts) where no Electron binary can run: the real engine (createAppEngine, as main.ts
 * makes it) behind the same sender check and dispatcher main puts in front of it (ipcMain.handle → guardInvoke →
 * dispatchIpc), answering over JSON lines on stdio as ipcMain answers ipcRenderer.invoke, and pushing every engine
 * event as main pushes it to its window (webContents.send). Run in a network namespace when the fleet must be heard.
 *
 *   stdin   {"id":N,"frame":SenderFrame|null,"channel":…,"payload":…}
 *   stdout  {"id":N,"result":<envelope>}   {"event":<engine event>}   {"ready":true} once the engine is up
 *
 * The fleet inventory and settings come from MACULA_FLEET_DIR and MACULA_CONFIG_DIR. SIGTERM closes the engine.
 */
import { createInterface } from 'node:readline';
import { createAppEngine } from '../../electron/engine/app/app-engine';
import { dispatchIpc } from '../../electron/engine/ipc-dispatch';
import { type SenderFrame, guardInvoke } from '../../electron/main/ipc-guard';
import { appWriterLaunch } from '../../electron/web/writer-launch';

interface InvokeLine {
  readonly id: number;
  readonly frame: SenderFrame | null;
  readonly channel: unknown;
  readonly payload: unknown;
}

const engine = createAppEngine({ launch: appWriterLaunch });
const send = (line: unknown): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
engine.subscribe((event) => send({ event }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, frame, channel, payload } = JSON.parse(line) as InvokeLine;
  void guardInvoke(frame, channel, payload, (c, p) => dispatchIpc(c, p, engine.handlers)).then((result) => send({ id, result }));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    engine.close();
    process.exit(0);
  });
}
send({ ready: true });
