import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppEngine, createAppEngine } from '../electron/engine/app/app-engine';
import { dispatchIpc } from '../electron/engine/ipc-dispatch';
import type { EngineEvent } from '../shared/ipc-events';

/**
 * The app keeps the computer awake for each flash (Electron's powerSaveBlocker in the packaged app, injected here as
 * the engine's inhibitor) and lets go when the flash ends, whether it succeeded or failed.
 */
describe('the app holds a sleep inhibition for exactly the life of each flash', () => {
  let dir: string;
  let engine: AppEngine;
  const log: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-awake-'));
    const inhibitor = { hold: (why: string) => (log.push(`hold ${why}`), () => void log.push('release')) };
    engine = createAppEngine({ launch: () => ({ kind: 'in-process' }), fleetDir: join(dir, 'fleet'), configDir: join(dir, 'config'), inhibitor });
  });
  afterAll(async () => {
    engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function flash(image: string, target: string): Promise<EngineEvent[]> {
    const events: EngineEvent[] = [];
    const finished = new Promise<void>((resolve) => {
      const off = engine.subscribe((event) => {
        events.push(event);
        // The release runs as the session's promise settles, just after its last event.
        if (event.type === 'flash.finished') setTimeout(() => (off(), resolve()), 50);
      });
    });
    const reply = await dispatchIpc('flash.start', { image: { kind: 'file', path: image }, targets: [target], seed: null, verify: true }, engine.handlers);
    expect(reply.ok).toBe(true);
    await finished;
    return events;
  }

  it('holds while writing and releases after a flash that succeeded, and after one that failed', async () => {
    const image = join(dir, 'image.img');
    await writeFile(image, randomBytes(1 << 20));
    const target = join(dir, 'target.img');
    await writeFile(target, Buffer.alloc(1 << 20));
    const ok = await flash(image, target);
    expect(ok.find((e) => e.type === 'flash.finished')).toMatchObject({ outcome: 'succeeded' });
    expect(log).toEqual(['hold Writing drives', 'release']);
    const failed = await flash(join(dir, 'missing.img'), target);
    expect(failed.find((e) => e.type === 'flash.finished')).toMatchObject({ outcome: 'failed' });
    expect(log).toEqual(['hold Writing drives', 'release', 'hold Writing drives', 'release']);
  });
});
