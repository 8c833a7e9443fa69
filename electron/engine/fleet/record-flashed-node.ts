import { defaultFleetDir } from './fleet-dir';
import { FleetInventory } from './inventory';
import { writePairingKey } from './key-store';

/** What `macula flash` knows of a target it seeded. */
export interface FlashedNodeRecord {
  readonly nodeId: string;
  readonly hostname: string;
  /** The image's name as shown to the user (catalog entry id or file name). */
  readonly imageName: string;
  /** SHA-256 (hex) of the image as written. */
  readonly imageSha256: string;
  readonly seededAt: Date;
  /** The seed's `maculaos.pairing.key`: goes to a 0600 file, never into the database. */
  readonly pairingKey: string;
}

/**
 * Records a node the desktop just flashed and seeded, for `macula flash` (and the app) to call once per seeded target:
 * the key first, so an inventory row never exists without its key. `dir` defaults to the user's fleet directory.
 */
export async function recordFlashedNode(record: FlashedNodeRecord, dir: string = defaultFleetDir()): Promise<void> {
  const inventory = FleetInventory.open(dir);
  try {
    await writePairingKey(dir, record.nodeId, record.pairingKey);
    inventory.addFlashedNode({
      node_id: record.nodeId,
      hostname: record.hostname,
      image_name: record.imageName,
      image_sha256: record.imageSha256,
      seeded_at: record.seededAt.toISOString(),
    });
  } finally {
    inventory.close();
  }
}
