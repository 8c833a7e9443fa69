import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppEngine, createAppEngine } from '../electron/engine/app/app-engine';
import { dispatchIpc } from '../electron/engine/ipc-dispatch';
import { type EngineEvent, engineEventSchema } from '../shared/ipc-events';

/**
 * A failed target's result as the app gets it keeps where the write failed (issue 18): the writer's byte offset
 * reaches the `flash.target` event and passes its schema, so the UI can say where. The target is a sparse file on a
 * 2 MiB tmpfs, so writing an 8 MiB image runs out of room part way (ENOSPC → ERR_NO_SPACE at that offset).
 */

const root = process.getuid?.() === 0;
if (!root) console.warn('flash-target-error: skipped — needs root to mount a small tmpfs');

const MiB = 1 << 20;
let dir: string;
let small: string | undefined;
let engine: AppEngine;

describe.skipIf(!root)('a failed target in the app', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-target-error-'));
    const mountpoint = join(dir, 'small');
    await mkdir(mountpoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2M', 'tmpfs', mountpoint]);
    small = mountpoint;
    engine = createAppEngine({ launch: () => ({ kind: 'in-process' }), fleetDir: join(dir, 'fleet'), configDir: join(dir, 'config') });
  });

  afterAll(async () => {
    engine?.close();
    if (small) execFileSync('umount', [small]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports the offset the write failed at in the flash.target event', async () => {
    const image = join(dir, 'image.img');
    await writeFile(image, randomBytes(8 * MiB));
    const target = join(small ?? dir, 'target.img');
    await writeFile(target, '');
    await truncate(target, 64 * MiB);

    const events: EngineEvent[] = [];
    const finished = new Promise<void>((resolve) => {
      const off = engine.subscribe((event) => {
        events.push(event);
        if (event.type === 'flash.finished') {
          off();
          resolve();
        }
      });
    });
    const reply = await dispatchIpc('flash.start', { image: { kind: 'file', path: image }, targets: [target], seed: null, verify: true }, engine.handlers);
    expect(reply.ok).toBe(true);
    await finished;

    const result = events.find((e) => e.type === 'flash.target');
    expect(engineEventSchema.parse(result)).toMatchObject({ type: 'flash.target', result: { ok: false, error: { code: 'ERR_NO_SPACE', offset: expect.any(Number) } } });
    const offset = result?.type === 'flash.target' && !result.result.ok ? result.result.error.offset : undefined;
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(8 * MiB);
  }, 60_000);
});
