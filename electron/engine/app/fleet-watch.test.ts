import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../shared/ipc-events';
import { engineEventSchema } from '../../../shared/ipc-events';
import { recordFlashedNode } from '../fleet/record-flashed-node';
import { dispatchIpc } from '../ipc-dispatch';
import { type AppEngine, createAppEngine } from './app-engine';

/**
 * The fleet channels of the app engine without a network (discovery browses no interface): the watch lease starts
 * and stops discovery and lapses on its own, the list carries the inventory but never a key, and a pairing of a node
 * nobody answers for ends `failed` with the reason, every event valid against the contract.
 */

const NODE_ID = '3f2b8c1e-9d4a-4b7e-8f61-0a5c2d7e9b13';

let dir: string;
let engine: AppEngine;
const events: EngineEvent[] = [];
let key: string;

async function call(channel: string, payload: unknown): Promise<Record<string, unknown>> {
  const result = await dispatchIpc(channel, payload, engine.handlers);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value as Record<string, unknown>;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'macula-fleet-app-'));
  key = randomBytes(32).toString('base64url');
  await recordFlashedNode({ nodeId: NODE_ID, hostname: 'edge-01', imageName: 'maculaos.iso', imageSha256: 'a'.repeat(64), seededAt: new Date(), pairingKey: key }, dir);
  engine = createAppEngine({ launch: () => ({ kind: 'in-process' }), fleetDir: dir, discovery: { interfaces: () => [] }, fleetLeaseMs: 200 });
  events.length = 0;
  engine.subscribe((e) => events.push(engineEventSchema.parse(e)));
});

afterEach(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

describe('fleet channels of the app engine', () => {
  it('runs discovery only while a lease is held, and lets an unrenewed lease lapse', async () => {
    expect((await call('fleet.list', {}))['watching']).toBe(false);
    const lease = await call('fleet.watch', {});
    expect(lease).toMatchObject({ watchId: expect.any(String), leaseMs: 200 });
    expect((await call('fleet.list', {}))['watching']).toBe(true);
    expect(await call('fleet.unwatch', { watchId: lease['watchId'] })).toEqual({ released: true });
    expect((await call('fleet.list', {}))['watching']).toBe(false);

    await call('fleet.watch', {});
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await call('fleet.list', {}))['watching']).toBe(false);
  });

  it('lists the inventory with its history and without the pairing key', async () => {
    const list = await call('fleet.list', {});
    expect(list['inventory']).toEqual([{ nodeId: NODE_ID, hostname: 'edge-01', imageName: 'maculaos.iso', seededAt: expect.any(String), pinned: false, origin: 'flashed', seedReport: null, history: [] }]);
    expect(JSON.stringify(list)).not.toContain(key);
    // The key is still in its own file, beside the database.
    expect((await readdir(join(dir, 'keys'))).length).toBe(1);
  });

  it('refuses malformed fleet requests at the boundary', async () => {
    expect(await dispatchIpc('fleet.pair', { nodeId: 'NOT AN ID' }, engine.handlers)).toMatchObject({ ok: false, error: { code: 'ERR_USAGE' } });
    expect(await dispatchIpc('fleet.pairCancel', {}, engine.handlers)).toMatchObject({ ok: false, error: { code: 'ERR_USAGE' } });
  });

  it('reports a pairing of a node nobody answers for as failed, with why', async () => {
    await call('fleet.watch', {});
    const { pairingId } = await call('fleet.pair', { nodeId: NODE_ID });
    await expect.poll(() => events.filter((e) => e.type === 'fleet.pairing').map((e) => e.status.state)).toEqual(['proving', 'failed']);
    const failed = events.find((e) => e.type === 'fleet.pairing' && e.status.state === 'failed');
    expect(failed).toMatchObject({ pairingId, nodeId: NODE_ID, status: { code: 'ERR_NODE_NOT_FOUND', message: expect.stringContaining('no node') } });
    expect(await call('fleet.pairCancel', { pairingId })).toEqual({ cancelled: false });
  });
});
