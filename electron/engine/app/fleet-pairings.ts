import { randomUUID } from 'node:crypto';
import { toString as qrString } from 'qrcode';
import { MaculaError, assertNever, isMaculaError } from '../../../shared/errors';
import type { PairingStatus } from '../../../shared/fleet/node-api';
import type { FleetEvent } from '../../../shared/ipc-events';
import type { PairingView } from '../../../shared/ipc-fleet';
import type { DiscoveryOptions } from '../fleet/discovery';
import { chooseNode, findNode, matchesNode, nodeEndpoint } from '../fleet/find-node';
import { adoptNode } from '../fleet/adopt-node';
import { pairNode } from '../fleet/pair-node';
import { sightingOf } from '../fleet/sighting';
import type { FleetWatch } from './fleet-watch';
import { withInventory } from './fleet-watch';

export interface FleetPairingsOptions {
  readonly fleetDir: string;
  readonly watch: FleetWatch;
  readonly emit: (event: FleetEvent) => void;
  /** For a pairing asked while no view watches: how long to look for the node (default 10 s). */
  readonly findTimeoutS?: number;
  readonly discovery?: DiscoveryOptions;
}

/** The QR code of the device flow's complete link, as SVG (the desktop shows it: no typing on a phone). */
function qrSvg(link: string): Promise<string> {
  return qrString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** One QR per link: the node repeats the same codes on every status poll. */
function qrCache(): (link: string) => Promise<string> {
  let last: { link: string; svg: Promise<string> } | undefined;
  return (link) => {
    if (last?.link !== link) last = { link, svg: qrSvg(link) };
    return last.svg;
  };
}

/** A node's pairing status → what the view shows; only the user-facing codes cross, never the device code. */
async function statusView(status: PairingStatus, qr: (link: string) => Promise<string>): Promise<PairingView> {
  switch (status.state) {
    case 'idle':
      return { state: 'starting' };
    case 'redeeming':
      return { state: 'redeeming' };
    case 'awaiting_user': {
      const complete = status.verification_uri_complete;
      return {
        state: 'awaiting_user',
        userCode: status.user_code,
        verificationUri: status.verification_uri,
        ...(complete !== undefined ? { verificationUriComplete: complete } : {}),
        expiresIn: status.expires_in,
        qrSvg: await qr(complete ?? status.verification_uri),
      };
    }
    case 'paired':
      return { state: 'paired', userName: status.user_name, orgIdentity: status.org_identity };
    case 'failed':
      return { state: 'failed', code: 'ERR_PAIRING_FAILED', reason: status.reason, message: status.message };
    default:
      return assertNever(status);
  }
}

/**
 * Pairings the app runs (`fleet.pair`): the same steps as `macula pair` — the one genuine advertisement of the node,
 * its key proven both ways by pair-node.ts, the Portal exchange followed — reported as `fleet.pairing` events.
 * With a setup code (`fleet.adopt`) the node is adopted first, as `macula adopt` does. One pairing per node at a time.
 */
export class FleetPairings {
  private readonly running = new Map<string, { nodeId: string; controller: AbortController }>();

  constructor(private readonly options: FleetPairingsOptions) {}

  /** Pairs `nodeId`; with `setupCode`, adopts it by that code first (a node waiting with `st=unadopted`). */
  start(nodeId: string, setupCode?: string): { pairingId: string } {
    for (const p of this.running.values()) {
      if (p.nodeId === nodeId) throw new MaculaError('ERR_USAGE', `node ${nodeId} is being paired already`);
    }
    const pairingId = randomUUID();
    const controller = new AbortController();
    this.running.set(pairingId, { nodeId, controller });
    const report = (status: PairingView): void => this.options.emit({ type: 'fleet.pairing', pairingId, nodeId, status });
    // Statuses are turned into views (the QR takes a moment) one after the other, so they arrive in order.
    let queue = Promise.resolve();
    const enqueue = (make: () => Promise<PairingView> | PairingView): void => {
      queue = queue.then(async () => report(await make())).catch(() => undefined);
    };
    const qr = qrCache();
    // The node's own `failed` status already says why; pair-node.ts's error after it would only repeat it.
    let nodeFailed = false;
    enqueue(() => ({ state: setupCode === undefined ? 'proving' : 'adopting' }));
    void this.run(nodeId, setupCode, controller.signal, () => enqueue(() => ({ state: 'proving' })), (s) => {
      nodeFailed = s.state === 'failed';
      enqueue(() => statusView(s, qr));
    })
      .then(
        () => undefined,
        (e: unknown) => {
          if (!nodeFailed || controller.signal.aborted) enqueue(() => failureView(e, controller.signal));
        },
      )
      .finally(() => this.running.delete(pairingId));
    return { pairingId };
  }

  cancel(pairingId: string): boolean {
    const pairing = this.running.get(pairingId);
    pairing?.controller.abort();
    return pairing !== undefined;
  }

  cancelAll(): void {
    for (const p of this.running.values()) p.controller.abort();
  }

  private async run(nodeId: string, setupCode: string | undefined, signal: AbortSignal, onAdopted: () => void, onStatus: (s: PairingStatus) => void): Promise<void> {
    const { fleetDir, watch } = this.options;
    const found = watch.watching ? watch.nodes().filter((n) => matchesNode(n, nodeId)) : await findNode(nodeId, this.options.findTimeoutS ?? 10, signal, this.options.discovery);
    const node = chooseNode(nodeId, found, withInventory(fleetDir, (inventory) => inventory.knownNodes()));
    if (setupCode !== undefined) {
      if (node.txt.state !== 'unadopted') throw new MaculaError('ERR_USAGE', `node ${node.name} is ${node.txt.state}, not waiting to be adopted`);
      await adoptNode({ nodeId: node.nodeId, hostname: node.name, osVersion: node.txt.osVersion, endpoint: nodeEndpoint(node), code: setupCode, fleetDir });
      // Adopted: it is in the inventory, pinned; the view lists it again and the verdict becomes `known`.
      watch.inventoryChanged();
      onAdopted();
    }
    const known = withInventory(fleetDir, (inventory) => inventory.knownNodes());
    // The pin pair-node.ts sets on the node's proof changes verdicts: an advertisement with another certificate is
    // from then on an impostor, and the view must say so at once.
    let pinnedSeen = known.find((k) => k.nodeId === nodeId)?.pinnedFingerprint != null;
    await pairNode({
      nodeId: node.nodeId,
      endpoint: nodeEndpoint(node),
      fleetDir,
      signal,
      // The report lands in the inventory (seed-report-fetch.ts): list it again so the card shows it.
      onSeedReport: () => watch.inventoryChanged(),
      onStatus: (status) => {
        if (!pinnedSeen) {
          pinnedSeen = true;
          watch.inventoryChanged();
        }
        onStatus(status);
      },
    });
    withInventory(fleetDir, (inventory) => inventory.recordSighting(sightingOf(node, 'paired')));
    watch.inventoryChanged();
  }
}

function failureView(e: unknown, signal: AbortSignal): PairingView {
  if (signal.aborted || isMaculaError(e, 'ERR_ABORTED')) return { state: 'cancelled' };
  return { state: 'failed', code: isMaculaError(e) ? e.code : 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
