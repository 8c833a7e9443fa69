import { MaculaError } from '../../../shared/errors';
import { base64urlToBytes } from '../../../shared/fleet/base64url';
import { NODE_API, type PairingStatus } from '../../../shared/fleet/node-api';
import { boundVerificationUri } from '../../../shared/fleet/portal-contract';
import { FleetInventory } from './inventory';
import { readPairingKey } from './key-store';
import { expectAnswer, openNodeSession } from './node-session';
import { type NodeEndpoint, callNode } from './pinned-https';
import type { SeedReport } from '../../../shared/fleet/seed-report';
import { fetchSeedReport } from './seed-report-fetch';

/**
 * Pairing a node this desktop flashed (issue 5; plan §8.1 with the desktop in place of the phone): check it against the
 * inventory, prove the seeded key both ways, pin its certificate, start the Portal exchange on the node and follow it
 * until the node holds credentials. The user code and links of a device flow are handed to `onStatus` for display,
 * the complete link bound to the node id and certificate this desktop pinned: the Portal approves through it only the
 * node that registered the code with that id and fingerprint.
 */

export interface PairNodeOptions {
  readonly nodeId: string;
  readonly endpoint: NodeEndpoint;
  /** The fleet directory holding the inventory and the pairing keys. */
  readonly fleetDir: string;
  /**
   * Every status the node reports, `awaiting_user` included (show its user code and verification link); its
   * `verification_uri_complete` carries the pinned node id and fingerprint (`boundVerificationUri`).
   */
  readonly onStatus?: (status: PairingStatus) => void;
  /** The node's seed report, once its MAC checked out (undefined: the node applied no seed this boot). */
  readonly onSeedReport?: (report: SeedReport | undefined) => void;
  readonly signal?: AbortSignal;
  /** Give up after this long (default 15 minutes: a device code's usual life). */
  readonly timeoutMs?: number;
  /** Between status polls when the node gives no interval (tests pass a short one). */
  readonly pollMs?: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new MaculaError('ERR_ABORTED', 'pairing was cancelled'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(new MaculaError('ERR_ABORTED', 'pairing was cancelled'))), { once: true });
  });
}

/** The inventory's word on this node: its pairing key, and its pinned certificate if any. */
async function knownNode(options: PairNodeOptions): Promise<{ key: Uint8Array; pinned: string | null }> {
  const inventory = FleetInventory.open(options.fleetDir);
  try {
    const row = inventory.node(options.nodeId);
    const key = row ? await readPairingKey(options.fleetDir, options.nodeId) : undefined;
    if (!row || key === undefined) {
      throw new MaculaError('ERR_NODE_UNKNOWN', `node ${options.nodeId} was not flashed by this desktop (no pairing key for it in ${options.fleetDir})`);
    }
    const pinned = row.pinned_fingerprint ?? null;
    if (pinned !== null && pinned !== options.endpoint.fingerprint) {
      throw new MaculaError('ERR_NODE_IMPOSTOR', `node ${options.nodeId} advertises certificate ${options.endpoint.fingerprint}, but ${pinned} is pinned: not the node this desktop paired with`, {
        expected: pinned,
        actual: options.endpoint.fingerprint,
      });
    }
    return { key: base64urlToBytes(key), pinned };
  } finally {
    inventory.close();
  }
}

function pin(options: PairNodeOptions): void {
  const inventory = FleetInventory.open(options.fleetDir);
  try {
    inventory.pinFingerprint(options.nodeId, options.endpoint.fingerprint);
  } finally {
    inventory.close();
  }
}

/** Pairs the node; resolves with its `paired` status, or throws ERR_PAIRING_FAILED with the node's reason. */
export async function pairNode(options: PairNodeOptions): Promise<Extract<PairingStatus, { state: 'paired' }>> {
  const { endpoint, signal } = options;
  const { key, pinned } = await knownNode(options);
  const token = await openNodeSession(endpoint, key);
  // The node proved the key we seeded: from now on only this certificate is that node.
  if (pinned === null) pin(options);
  options.onSeedReport?.(await fetchSeedReport(endpoint, token, options.nodeId, key, options.fleetDir));
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 15 * 60_000);
  let status = expectAnswer(await callNode(endpoint, 'POST', NODE_API.pairingStart.path, { body: { mode: 'auto' }, token }), NODE_API.pairingStart.response, 'pairing/start');
  const binding = { nodeId: options.nodeId, fingerprint: endpoint.fingerprint };
  for (;;) {
    options.onStatus?.(status.state === 'awaiting_user' ? { ...status, verification_uri_complete: boundVerificationUri(status.verification_uri_complete, binding) } : status);
    if (status.state === 'paired') return status;
    if (status.state === 'failed') {
      throw new MaculaError('ERR_PAIRING_FAILED', `pairing node ${options.nodeId} failed: ${status.reason} (${status.message})`);
    }
    if (Date.now() > deadline) throw new MaculaError('ERR_PAIRING_FAILED', `node ${options.nodeId} was not paired within ${Math.round((deadline - started) / 1000)} s`);
    const interval = status.state === 'awaiting_user' ? status.interval * 1000 : (options.pollMs ?? 1000);
    await sleep(Math.min(interval, options.pollMs ?? interval), signal);
    status = expectAnswer(await callNode(endpoint, 'GET', NODE_API.pairingStatus.path, { token }), NODE_API.pairingStatus.response, 'pairing/status');
  }
}
