import { randomBytes } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import { base64urlToBytes, bytesToBase64url } from '../../../shared/fleet/base64url';
import { NODE_API, nodeApiErrorSchema } from '../../../shared/fleet/node-api';
import { normalizeSetupCode } from '../../../shared/fleet/setup-code';
import { ADOPT_AD_DESKTOP, ADOPT_AD_NODE, adoptChannelId, sealGrant } from './adopt-crypto';
import { confirmationTag, cpaceIsk, cpaceShare, tagsEqual } from './cpace';
import { FleetInventory } from './inventory';
import { deletePairingKey, readPairingKey, writePairingKey } from './key-store';
import { expectAnswer } from './node-session';
import { type NodeEndpoint, type NodeResponse, callNode } from './pinned-https';

/**
 * Adopting a node this desktop did not seed (shared/fleet/adopt-api.ts), desktop side = CPace's initiator: run the
 * exchange with the setup code from the node's console, send a fresh pairing key sealed under the exchange's key, check
 * the node's confirmation, then record the node like a flashed one (key file, inventory row marked `adopted`, the
 * certificate the exchange was bound to pinned). After this, pair-node.ts pairs it exactly as a seeded node.
 */

export interface AdoptNodeOptions {
  readonly nodeId: string;
  /** The DNS-SD instance name the node advertises: its host name in the inventory. */
  readonly hostname: string;
  readonly osVersion: string;
  readonly endpoint: NodeEndpoint;
  /** As the user typed it (case, dashes and look-alikes are forgiven, shared/fleet/setup-code.ts). */
  readonly code: string;
  readonly fleetDir: string;
  /** The Portal the node should pair with, when the node's own seed names none. */
  readonly portalUrl?: string;
}

/** The node's refusal as our error: a wrong code and the lock have their own codes, the rest is ERR_NODE_API. */
function refusal(res: NodeResponse, what: string): MaculaError {
  const parsed = nodeApiErrorSchema.safeParse(res.json);
  const error = parsed.success ? parsed.data.error : undefined;
  const message = parsed.success ? parsed.data.message : `HTTP ${res.status}`;
  switch (error) {
    case 'code_invalid':
      return new MaculaError('ERR_SETUP_CODE_INVALID', `the node refused the setup code: ${message}`);
    case 'adoption_locked':
      return new MaculaError('ERR_ADOPTION_LOCKED', `the node locked adoption after too many wrong setup codes: ${message}`);
    case 'not_adoptable':
      return new MaculaError('ERR_PAIRING_FAILED', `the node holds a pairing key already and cannot be adopted (${message}); pair it from the desktop that seeded or adopted it`);
    default:
      return new MaculaError('ERR_NODE_API', `the node refused ${what} (${error ?? 'error'}: ${message})`, { status: res.status });
  }
}

async function call(endpoint: NodeEndpoint, path: string, body: unknown, what: string): Promise<unknown> {
  const res = await callNode(endpoint, 'POST', path, { body });
  if (res.status < 200 || res.status > 299) throw refusal(res, what);
  return res.json;
}

export async function adoptNode(options: AdoptNodeOptions): Promise<void> {
  const { endpoint, nodeId, fleetDir } = options;
  const code = normalizeSetupCode(options.code);
  if (code === undefined) throw new MaculaError('ERR_USAGE', 'a setup code is 10 letters and digits, shown on the node\'s console as XXXXX-XXXXX');
  if ((await readPairingKey(fleetDir, nodeId)) !== undefined) {
    throw new MaculaError('ERR_USAGE', `node ${nodeId} is known here already (this desktop holds its pairing key): pair it instead`);
  }
  const sid = new Uint8Array(randomBytes(16));
  const session = { prs: new TextEncoder().encode(code), ci: adoptChannelId(nodeId, base64urlToBytes(endpoint.fingerprint)), sid };
  const own = cpaceShare(session);
  const startJson = await call(endpoint, NODE_API.adoptStart.path, { sid: bytesToBase64url(sid), desktop_share: bytesToBase64url(own.share) }, 'adopt/start');
  const start = expectAnswer({ status: 200, json: startJson }, NODE_API.adoptStart.response, 'adopt/start');
  const nodeShare = base64urlToBytes(start.node_share);
  const isk = cpaceIsk(session, own, nodeShare, { ya: own.share, ada: ADOPT_AD_DESKTOP, yb: nodeShare, adb: ADOPT_AD_NODE });
  if (!isk) throw new MaculaError('ERR_NODE_IMPOSTOR', `the node at ${endpoint.host} sent a degenerate CPace share: not a genuine agent; nothing was sent to it`);

  // The key is on this disk before it leaves: a node that stored it is never one this desktop cannot open a session to.
  const pairingKey = bytesToBase64url(new Uint8Array(randomBytes(32)));
  await writePairingKey(fleetDir, nodeId, pairingKey);
  let adopted = false;
  try {
    const grant = { node_id: nodeId, pairing_key: pairingKey, ...(options.portalUrl ? { portal_url: options.portalUrl } : {}) };
    const finishJson = await call(
      endpoint,
      NODE_API.adoptFinish.path,
      { adoption_id: start.adoption_id, desktop_confirm: bytesToBase64url(confirmationTag(isk, sid, own.share, ADOPT_AD_DESKTOP)), sealed: sealGrant(isk, sid, grant) },
      'adopt/finish',
    );
    const finish = expectAnswer({ status: 200, json: finishJson }, NODE_API.adoptFinish.response, 'adopt/finish');
    if (finish.node_id !== nodeId || !tagsEqual(confirmationTag(isk, sid, nodeShare, ADOPT_AD_NODE), base64urlToBytes(finish.node_confirm))) {
      throw new MaculaError('ERR_NODE_IMPOSTOR', `the node at ${endpoint.host} could not confirm the exchange: not the node whose console shows that code`);
    }
    const inventory = FleetInventory.open(fleetDir);
    try {
      inventory.addAdoptedNode({ node_id: nodeId, hostname: options.hostname, image_name: `MaculaOS ${options.osVersion} (adopted)`, seeded_at: new Date().toISOString() }, endpoint.fingerprint);
    } finally {
      inventory.close();
    }
    adopted = true;
  } finally {
    if (!adopted) await deletePairingKey(fleetDir, nodeId);
  }
}
