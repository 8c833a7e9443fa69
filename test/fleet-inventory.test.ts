import Database from 'better-sqlite3';
import { mkdtemp, readFile, rm, stat, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FleetInventory } from '../electron/engine/fleet/inventory';
import { readPairingKey } from '../electron/engine/fleet/key-store';
import { recordFlashedNode } from '../electron/engine/fleet/record-flashed-node';
import { fleetDirFor } from '../electron/engine/fleet/fleet-dir';
import { macula } from './helpers/cli';

const KEY = Buffer.alloc(32, 7).toString('base64url');
const FP = Buffer.alloc(32, 1).toString('base64url');
const FP2 = Buffer.alloc(32, 2).toString('base64url');
const flashed = { nodeId: 'node-a1b2', hostname: 'macula-a1b2', imageName: 'maculaos-0.1.0-amd64.iso', imageSha256: 'ab'.repeat(32), seededAt: new Date('2026-01-02T03:04:05Z'), pairingKey: KEY };
const sighting = (state: 'unpaired' | 'pairing' | 'paired', at: string, fingerprint = FP) => ({
  nodeId: 'node-a1b2', state, fingerprint, osVersion: '0.1.0', addresses: ['10.0.0.5'], interfaces: ['eth0'], seenAt: new Date(at),
});

describe('fleet inventory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcl-inv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('recordFlashedNode stores the node, and its pairing key only in a 0600 file', async () => {
    await recordFlashedNode(flashed, dir);
    const inv = FleetInventory.open(dir);
    expect(inv.node('node-a1b2')).toEqual({
      node_id: 'node-a1b2', hostname: 'macula-a1b2', image_name: 'maculaos-0.1.0-amd64.iso', image_sha256: 'ab'.repeat(32), seeded_at: '2026-01-02T03:04:05.000Z', pinned_fingerprint: null,
      origin: 'flashed', seed_report: null,
    });
    inv.close();
    const keyFile = join(dir, 'keys', 'node-a1b2.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700);
    expect(await readPairingKey(dir, 'node-a1b2')).toBe(KEY);
    // The database never holds the secret (WAL checkpointed on close).
    expect((await readFile(join(dir, 'fleet.db'))).includes(KEY)).toBe(false);
  });

  it('migrates a version-1 inventory (no origin, no seed report) and keeps a checked seed report per node', async () => {
    const old = new Database(join(dir, 'fleet.db'));
    old.exec(`CREATE TABLE nodes (node_id TEXT PRIMARY KEY, hostname TEXT NOT NULL, image_name TEXT NOT NULL, image_sha256 TEXT NOT NULL,
      seeded_at TEXT NOT NULL, pinned_fingerprint TEXT);
      INSERT INTO nodes VALUES ('node-old1', 'old-node', 'maculaos.iso', '${'cd'.repeat(32)}', '2026-01-02T03:04:05.000Z', NULL);`);
    old.pragma('user_version = 1');
    old.close();
    const inv = FleetInventory.open(dir);
    try {
      expect(inv.node('node-old1')).toMatchObject({ hostname: 'old-node', origin: 'flashed', seed_report: null });
      const report = { version: 1, applied_at: '2026-01-02T03:04:05.000Z', entries: [{ key: 'wifi', status: 'failed', reason: 'no firmware for brcmfmac' }] };
      inv.setSeedReport('node-old1', JSON.stringify(report));
      expect(inv.node('node-old1')?.seed_report).toEqual(report);
      inv.addAdoptedNode({ node_id: 'node-new2', hostname: 'new-node', image_name: 'MaculaOS 0.1.0 (adopted)', seeded_at: '2026-01-02T03:04:05.000Z' }, 'A'.repeat(43));
      expect(inv.node('node-new2')).toMatchObject({ origin: 'adopted', image_sha256: '', pinned_fingerprint: 'A'.repeat(43) });
    } finally {
      inv.close();
    }
  });

  it('refuses a key file that others can read, and a key or id that is not valid', async () => {
    await recordFlashedNode(flashed, dir);
    await chmod(join(dir, 'keys', 'node-a1b2.key'), 0o644);
    await expect(readPairingKey(dir, 'node-a1b2')).rejects.toMatchObject({ code: 'ERR_IO' });
    await expect(recordFlashedNode({ ...flashed, pairingKey: 'short' }, dir)).rejects.toMatchObject({ code: 'ERR_SEED_INVALID' });
    await expect(recordFlashedNode({ ...flashed, nodeId: '../etc' }, dir)).rejects.toThrow();
  });

  it('keeps the states a node was seen in: a new period on a change, the same one extended otherwise', async () => {
    await recordFlashedNode(flashed, dir);
    const inv = FleetInventory.open(dir);
    expect(inv.recordSighting(sighting('unpaired', '2026-01-02T04:00:00Z'))).toBe(true);
    inv.recordSighting(sighting('unpaired', '2026-01-02T04:05:00Z'));
    inv.recordSighting(sighting('pairing', '2026-01-02T04:06:00Z'));
    inv.recordSighting(sighting('paired', '2026-01-02T04:07:00Z', FP2));
    const history = inv.history('node-a1b2');
    expect(history.map((h) => [h.state, h.first_seen, h.last_seen])).toEqual([
      ['paired', '2026-01-02T04:07:00.000Z', '2026-01-02T04:07:00.000Z'],
      ['pairing', '2026-01-02T04:06:00.000Z', '2026-01-02T04:06:00.000Z'],
      ['unpaired', '2026-01-02T04:00:00.000Z', '2026-01-02T04:05:00.000Z'],
    ]);
    expect(inv.list()[0]?.lastSeen?.state).toBe('paired');
    // A node not in the inventory leaves no trace.
    expect(inv.recordSighting({ ...sighting('paired', '2026-01-02T04:08:00Z'), nodeId: 'node-zzzz' })).toBe(false);
    inv.close();
  });

  it('pins a fingerprint, and re-flashing the same id drops the pin but keeps the history', async () => {
    await recordFlashedNode(flashed, dir);
    const inv = FleetInventory.open(dir);
    inv.recordSighting(sighting('paired', '2026-01-02T04:07:00Z'));
    inv.pinFingerprint('node-a1b2', FP);
    expect(inv.knownNodes()).toEqual([{ nodeId: 'node-a1b2', hostname: 'macula-a1b2', pinnedFingerprint: FP }]);
    expect(() => inv.pinFingerprint('node-none', FP)).toThrow(/not in the fleet inventory/);
    inv.close();
    await recordFlashedNode({ ...flashed, imageName: 'maculaos-0.2.0-amd64.iso' }, dir);
    const again = FleetInventory.open(dir);
    expect(again.node('node-a1b2')).toMatchObject({ image_name: 'maculaos-0.2.0-amd64.iso', pinned_fingerprint: null });
    expect(again.history('node-a1b2')).toHaveLength(1);
    again.close();
  });

  it('`macula fleet --json` lists the nodes with their last state, and never the key', async () => {
    await recordFlashedNode(flashed, dir);
    const inv = FleetInventory.open(dir);
    inv.recordSighting(sighting('pairing', '2026-01-02T04:06:00Z'));
    inv.close();
    const result = await macula(['fleet', '--json'], { MACULA_FLEET_DIR: dir });
    expect(result.code).toBe(0);
    expect(result.events).toEqual([expect.objectContaining({ event: 'node', node_id: 'node-a1b2', hostname: 'macula-a1b2', last_seen: expect.objectContaining({ state: 'pairing' }) })]);
    expect(result.stdout.includes(KEY)).toBe(false);
    const empty = await mkdtemp(join(tmpdir(), 'mcl-inv-'));
    const none = await macula(['fleet'], { MACULA_FLEET_DIR: empty });
    expect(none.stdout).toMatch(/no nodes flashed yet/);
    await rm(empty, { recursive: true, force: true });
  });

  it('`macula discover` refuses a bad --timeout as a usage error', async () => {
    const result = await macula(['discover', '--timeout', 'soon'], { MACULA_FLEET_DIR: dir });
    expect(result.code).toBe(2);
  });

  it('puts the inventory in the user data directory, or MACULA_FLEET_DIR', () => {
    expect(fleetDirFor({ MACULA_FLEET_DIR: '/x' }, 'linux', '/home/u')).toBe('/x');
    expect(fleetDirFor({}, 'linux', '/home/u')).toBe('/home/u/.local/share/macula-companion/fleet');
    expect(fleetDirFor({ XDG_DATA_HOME: 'rel' }, 'linux', '/home/u')).toBe('/home/u/.local/share/macula-companion/fleet');
    expect(fleetDirFor({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/macula-companion/fleet');
    expect(fleetDirFor({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Roaming\\macula-companion\\fleet');
  });
});
