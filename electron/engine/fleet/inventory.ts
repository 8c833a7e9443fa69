import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MaculaError } from '../../../shared/errors';
import type { NodeState } from '../../../shared/fleet/txt-record';
import { defaultFleetDir } from './fleet-dir';
import type { KnownNode } from './impostor';
import { type FlashedNodeRow, type InventoryNode, type SightingRow, flashedNodeRowSchema, sightingRowSchema } from './inventory-rows';

/**
 * The fleet inventory: an SQLite database (better-sqlite3) of the nodes this desktop flashed and of the states they
 * were seen in. WAL mode and a busy timeout, because the app, a `macula discover --watch` and a `macula flash` may
 * write at once; SQLite's own locking keeps each write whole, which a read-modify-write of a file never would.
 */

/** Schema version in `PRAGMA user_version`; MIGRATIONS[v] takes a version-v database to v + 1. */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS nodes (
  node_id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  image_name TEXT NOT NULL,
  image_sha256 TEXT NOT NULL,
  seeded_at TEXT NOT NULL,
  pinned_fingerprint TEXT
);
CREATE TABLE IF NOT EXISTS sightings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id TEXT NOT NULL REFERENCES nodes(node_id) ON DELETE CASCADE,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  state TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  os_version TEXT NOT NULL,
  addresses TEXT NOT NULL,
  interfaces TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sightings_by_node ON sightings(node_id, id);
`;

/**
 * Version 1 → 2 (issue 14): `origin` says whether this desktop flashed the node or adopted it by its setup code;
 * `seed_report` keeps the node's last seed report whose MAC checked out (JSON text, shared/fleet/seed-report.ts).
 */
const MIGRATIONS: Readonly<Record<number, string>> = {
  1: `ALTER TABLE nodes ADD COLUMN origin TEXT NOT NULL DEFAULT 'flashed';
      ALTER TABLE nodes ADD COLUMN seed_report TEXT;`,
};

/** Brings a database at `version` (0: new) up to SCHEMA_VERSION, in one transaction. */
function migrate(db: Database.Database, version: number): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    for (let v = Math.max(1, version); v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/** What `recordFlashedNode` stores in the database (the key goes to the key store). */
export type FlashedNode = Omit<FlashedNodeRow, 'pinned_fingerprint' | 'origin' | 'seed_report'>;

/** A node as discovery saw it, for the history. */
export interface Sighting {
  readonly nodeId: string;
  readonly state: NodeState;
  readonly fingerprint: string;
  readonly osVersion: string;
  readonly addresses: readonly string[];
  readonly interfaces: readonly string[];
  readonly seenAt: Date;
}

interface RawSighting extends Omit<SightingRow, 'addresses' | 'interfaces'> {
  addresses: string;
  interfaces: string;
}

function parseSighting(raw: RawSighting): SightingRow {
  return sightingRowSchema.parse({ ...raw, addresses: JSON.parse(raw.addresses) as unknown, interfaces: JSON.parse(raw.interfaces) as unknown });
}

export class FleetInventory {
  private constructor(
    private readonly db: Database.Database,
    /** The directory holding `fleet.db` and `keys/`. */
    readonly dir: string,
  ) {}

  /** Opens (creating if need be) the inventory in `dir`. */
  static open(dir: string = defaultFleetDir()): FleetInventory {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let db: Database.Database;
    try {
      db = new Database(join(dir, 'fleet.db'));
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true });
      if (typeof version === 'number' && version > SCHEMA_VERSION) {
        throw new MaculaError('ERR_IO', `fleet inventory ${dir} has schema ${version}, newer than this version reads (${SCHEMA_VERSION})`);
      }
      migrate(db, typeof version === 'number' ? version : 0);
    } catch (e) {
      if (e instanceof MaculaError) throw e;
      throw new MaculaError('ERR_IO', `cannot open the fleet inventory in ${dir}: ${(e as Error).message}`, { path: dir });
    }
    return new FleetInventory(db, dir);
  }

  /** Adds or replaces a flashed node. Re-flashing a node id keeps its history but drops its pin (new certificate). */
  addFlashedNode(node: FlashedNode): void {
    this.addNode(node, 'flashed', null);
  }

  /**
   * Adds a node adopted by its setup code (adopt-node.ts), pinned at once: the certificate is the one the exchange
   * was bound to. Like a flashed node from then on; `origin` says how it came.
   */
  addAdoptedNode(node: Omit<FlashedNode, 'image_sha256'>, fingerprint: string): void {
    this.addNode({ ...node, image_sha256: '' }, 'adopted', fingerprint);
  }

  private addNode(node: FlashedNode, origin: FlashedNodeRow['origin'], pinned: string | null): void {
    const row = flashedNodeRowSchema.parse({ ...node, pinned_fingerprint: pinned, origin, seed_report: null });
    this.db
      .prepare(
        `INSERT INTO nodes (node_id, hostname, image_name, image_sha256, seeded_at, pinned_fingerprint, origin, seed_report)
         VALUES (@node_id, @hostname, @image_name, @image_sha256, @seeded_at, @pinned_fingerprint, @origin, NULL)
         ON CONFLICT(node_id) DO UPDATE SET hostname = excluded.hostname, image_name = excluded.image_name,
           image_sha256 = excluded.image_sha256, seeded_at = excluded.seeded_at, pinned_fingerprint = excluded.pinned_fingerprint,
           origin = excluded.origin, seed_report = NULL`,
      )
      .run(row);
  }

  /** Keeps a node's seed report, given as the JSON text whose MAC the caller checked (seed-report-fetch.ts). */
  setSeedReport(nodeId: string, report: string): void {
    const result = this.db.prepare('UPDATE nodes SET seed_report = ? WHERE node_id = ?').run(report, nodeId);
    if (result.changes === 0) throw new MaculaError('ERR_USAGE', `node ${nodeId} is not in the fleet inventory`);
  }

  /** Pins a node's certificate fingerprint (after its proof checked out). */
  pinFingerprint(nodeId: string, fingerprint: string): void {
    const result = this.db.prepare('UPDATE nodes SET pinned_fingerprint = ? WHERE node_id = ?').run(fingerprint, nodeId);
    if (result.changes === 0) throw new MaculaError('ERR_USAGE', `node ${nodeId} is not in the fleet inventory`);
  }

  node(nodeId: string): FlashedNodeRow | undefined {
    const raw: unknown = this.db.prepare('SELECT * FROM nodes WHERE node_id = ?').get(nodeId);
    return raw === undefined ? undefined : flashedNodeRowSchema.parse(raw);
  }

  /** What impostor detection compares against. */
  knownNodes(): KnownNode[] {
    return this.list().map(({ node }) => ({ nodeId: node.node_id, hostname: node.hostname, pinnedFingerprint: node.pinned_fingerprint }));
  }

  /**
   * Records that a node of the inventory was seen: extends its latest period when nothing but addresses changed,
   * else starts a new one. Nodes not in the inventory are ignored (returns false): this is our fleet's history,
   * not a log of the LAN.
   */
  recordSighting(s: Sighting): boolean {
    const at = s.seenAt.toISOString();
    return this.db.transaction((): boolean => {
      if (!this.node(s.nodeId)) return false;
      const last = this.history(s.nodeId, 1)[0];
      const addresses = JSON.stringify(s.addresses);
      const interfaces = JSON.stringify(s.interfaces);
      if (last && last.state === s.state && last.fingerprint === s.fingerprint && last.os_version === s.osVersion) {
        this.db.prepare('UPDATE sightings SET last_seen = ?, addresses = ?, interfaces = ? WHERE id = ?').run(at, addresses, interfaces, last.id);
      } else {
        this.db
          .prepare(
            `INSERT INTO sightings (node_id, first_seen, last_seen, state, fingerprint, os_version, addresses, interfaces)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(s.nodeId, at, at, s.state, s.fingerprint, s.osVersion, addresses, interfaces);
      }
      return true;
    })();
  }

  /** Records many sightings in one transaction (a fleet coming up at once); true when any was of our fleet. */
  recordSightings(sightings: readonly Sighting[]): boolean {
    return this.db.transaction((): boolean => sightings.map((s) => this.recordSighting(s)).some(Boolean))();
  }

  /**
   * Every node's `limit` latest sightings, newest first, by node id: one query (a window function over the
   * `sightings_by_node` index) where one per node took seconds for an inventory of ten thousand.
   */
  recentHistories(limit: number): Map<string, SightingRow[]> {
    const rows = this.db
      .prepare(
        `SELECT id, node_id, first_seen, last_seen, state, fingerprint, os_version, addresses, interfaces FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY node_id ORDER BY id DESC) AS n FROM sightings
         ) WHERE n <= ? ORDER BY node_id, id DESC`,
      )
      .all(limit);
    const out = new Map<string, SightingRow[]>();
    for (const raw of rows) {
      const row = parseSighting(raw as RawSighting);
      const list = out.get(row.node_id) ?? [];
      list.push(row);
      out.set(row.node_id, list);
    }
    return out;
  }

  /** A node's sightings, newest first. */
  history(nodeId: string, limit = 100): SightingRow[] {
    const rows = this.db.prepare('SELECT * FROM sightings WHERE node_id = ? ORDER BY id DESC LIMIT ?').all(nodeId, limit);
    return rows.map((r) => parseSighting(r as RawSighting));
  }

  /**
   * Every node with its latest sighting, by hostname: one query (the latest sighting by the `sightings_by_node`
   * index), not one per node — 10,000 nodes took over a second the other way.
   */
  list(): InventoryNode[] {
    const rows = this.db
      .prepare(
        `SELECT n.*, s.id AS s_id, s.first_seen AS s_first_seen, s.last_seen AS s_last_seen, s.state AS s_state,
           s.fingerprint AS s_fingerprint, s.os_version AS s_os_version, s.addresses AS s_addresses, s.interfaces AS s_interfaces
         FROM nodes n LEFT JOIN sightings s ON s.id = (SELECT MAX(id) FROM sightings WHERE node_id = n.node_id)
         ORDER BY n.hostname, n.node_id`,
      )
      .all() as Array<Record<string, unknown>>;
    return rows.map((raw) => {
      // Every column of the node (whatever later schema versions add), none of the sighting's.
      const node = flashedNodeRowSchema.parse(Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith('s_'))));
      const lastSeen =
        raw['s_id'] === null
          ? null
          : parseSighting({
              id: raw['s_id'],
              node_id: raw['node_id'],
              first_seen: raw['s_first_seen'],
              last_seen: raw['s_last_seen'],
              state: raw['s_state'],
              fingerprint: raw['s_fingerprint'],
              os_version: raw['s_os_version'],
              addresses: raw['s_addresses'],
              interfaces: raw['s_interfaces'],
            } as RawSighting);
      return { node, lastSeen };
    });
  }

  close(): void {
    this.db.close();
  }
}
