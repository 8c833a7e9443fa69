import { randomUUID } from 'node:crypto';
import type { FleetEvent } from '../../../shared/ipc-events';
import type { DiscoveredNodeView } from '../../../shared/ipc-fleet';
import { type DiscoveredNode, type DiscoveryOptions, FleetDiscovery } from '../fleet/discovery';
import { judgeNode } from '../fleet/find-node';
import type { KnownNode } from '../fleet/impostor';
import { FleetInventory, type Sighting } from '../fleet/inventory';
import { sightingOf } from '../fleet/sighting';
import { discoveredView } from './fleet-views';

export interface FleetWatchOptions {
  readonly fleetDir: string;
  readonly emit: (event: FleetEvent) => void;
  readonly discovery?: DiscoveryOptions;
  /** How long a lease lives without renewal (default 30 s). */
  readonly leaseMs?: number;
}

/** Short-lived: the inventory is shared with the CLI, and SQLite's WAL keeps concurrent openers consistent. */
/** How long sightings are gathered before they are written together, ms. */
const SIGHTING_BATCH_MS = 500;

export function withInventory<T>(dir: string, use: (inventory: FleetInventory) => T): T {
  const inventory = FleetInventory.open(dir);
  try {
    return use(inventory);
  } finally {
    inventory.close();
  }
}

/**
 * mDNS discovery for the fleet view, run only while some view holds a lease (like the drive poll runs only while
 * someone listens): every node heard is judged against the inventory and pushed as `fleet.node`; sightings of nodes
 * flashed here go into their history (an impostor's claims never do), followed by `fleet.inventory`.
 */
export class FleetWatch {
  private readonly leases = new Map<string, NodeJS.Timeout>();
  private discovery: FleetDiscovery | undefined;
  private known: KnownNode[] = [];
  /** The last view pushed per advertisement, so a verdict that changes (a pin) is pushed as an update. */
  private readonly pushed = new Map<string, string>();
  /** Sightings of our nodes not written yet, by advertisement key (the latest of each). */
  private readonly sightings = new Map<string, Sighting>();
  private sightingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: FleetWatchOptions) {}

  get leaseMs(): number {
    return this.options.leaseMs ?? 30_000;
  }

  get watching(): boolean {
    return this.discovery !== undefined;
  }

  /** Takes or renews a lease; a lapsed id comes back to life (a laptop that slept). */
  watch(watchId: string = randomUUID()): { watchId: string; leaseMs: number } {
    clearTimeout(this.leases.get(watchId));
    this.leases.set(
      watchId,
      setTimeout(() => this.unwatch(watchId), this.leaseMs),
    );
    if (!this.discovery) this.start();
    return { watchId, leaseMs: this.leaseMs };
  }

  unwatch(watchId: string): boolean {
    const timer = this.leases.get(watchId);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.leases.delete(watchId);
    if (this.leases.size === 0) void this.stopDiscovery();
    return true;
  }

  /** The advertisements heard now (none while nobody watches). */
  nodes(): DiscoveredNode[] {
    return this.discovery?.nodes() ?? [];
  }

  views(): DiscoveredNodeView[] {
    return this.nodes().map((n) => discoveredView(n, judgeNode(n, this.known)));
  }

  /** The inventory changed (a pin, a flash): judge every node again, push what changed, and say so. */
  inventoryChanged(): void {
    this.loadKnown();
    for (const node of this.nodes()) this.push('update', node);
    this.options.emit({ type: 'fleet.inventory' });
  }

  async close(): Promise<void> {
    for (const timer of this.leases.values()) clearTimeout(timer);
    this.leases.clear();
    await this.stopDiscovery();
  }

  private loadKnown(): void {
    this.known = withInventory(this.options.fleetDir, (inventory) => inventory.knownNodes());
  }

  private start(): void {
    this.loadKnown();
    const discovery = new FleetDiscovery(this.options.discovery);
    this.discovery = discovery;
    discovery.on('up', (node) => this.seen('up', node));
    discovery.on('update', (node) => this.seen('update', node));
    discovery.on('down', (node, reason) => {
      this.pushed.delete(node.key);
      this.options.emit({ type: 'fleet.node', change: 'down', node: discoveredView(node, judgeNode(node, this.known)), reason });
    });
    // An interface that cannot be browsed is skipped by discovery itself; the others carry on.
    discovery.on('problem', () => undefined);
    discovery.start();
  }

  private async stopDiscovery(): Promise<void> {
    const discovery = this.discovery;
    this.discovery = undefined;
    this.pushed.clear();
    clearTimeout(this.sightingTimer);
    this.recordSightings();
    if (!discovery) return;
    // Nobody looks any more: the `stopped` downs would go nowhere.
    discovery.removeAllListeners();
    await discovery.stop();
  }

  private seen(change: 'up' | 'update', node: DiscoveredNode): void {
    const verdict = judgeNode(node, this.known);
    this.push(change, node);
    if (verdict.kind !== 'known') return;
    this.sightings.set(node.key, sightingOf(node));
    this.sightingTimer ??= setTimeout(() => this.recordSightings(), SIGHTING_BATCH_MS);
  }

  /**
   * Writes the sightings gathered since the last write, in one transaction, and says `fleet.inventory` once: a
   * thousand nodes heard within a second were a thousand opens of the database and a thousand re-lists of the
   * inventory by the view.
   */
  private recordSightings(): void {
    this.sightingTimer = undefined;
    const batch = [...this.sightings.values()];
    this.sightings.clear();
    if (batch.length === 0) return;
    try {
      if (withInventory(this.options.fleetDir, (inventory) => inventory.recordSightings(batch))) this.options.emit({ type: 'fleet.inventory' });
    } catch {
      // The history is a record, not a precondition: a busy or unwritable inventory must not stop discovery.
    }
  }

  private push(change: 'up' | 'update', node: DiscoveredNode): void {
    const view = discoveredView(node, judgeNode(node, this.known));
    const text = JSON.stringify(view);
    if (change === 'update' && this.pushed.get(node.key) === text) return;
    this.pushed.set(node.key, text);
    this.options.emit({ type: 'fleet.node', change, node: view });
  }
}
