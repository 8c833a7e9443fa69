import { z } from 'zod';
import { reportedErrorCodeSchema } from './ipc-error';
import { fingerprintSchema } from './fleet/cert-fingerprint';
import { PAIRING_FAILURES } from './fleet/node-api';
import { MESH_ROLES, archSchema, hostnameSchema, nodeIdSchema, osVersionSchema } from './fleet/seed-formats';
import { NODE_STATES } from './fleet/txt-record';
import { seedReportSchema } from './fleet/seed-report';

/**
 * The fleet view's part of the IPC contract: the inventory (nodes flashed here and their history), nodes discovered on
 * the LAN (pushed as `fleet.node` while a view holds a watch lease) and pairing (pushed as `fleet.pairing`). Everything
 * here is public (TXT records, the inventory's rows without keys): the pairing key never crosses to the renderer.
 */

const isoTime = z.iso.datetime();
const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);

/** Why a discovered node is not trusted, in words (the engine writes the message from impostor.ts's reasons). */
export const impostorReasonViewSchema = z.strictObject({ code: z.enum(['fingerprint-mismatch', 'name-taken']), message: z.string() });

/** The verdict against the inventory (impostor.ts): flashed here, not flashed here, or contradicting what we know. */
export const fleetVerdictSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('known'), pinned: z.boolean() }),
  z.strictObject({ kind: z.literal('unknown') }),
  z.strictObject({ kind: z.literal('impostor'), reasons: z.array(impostorReasonViewSchema).min(1) }),
]);
export type FleetVerdict = z.infer<typeof fleetVerdictSchema>;

/** A node heard on the LAN (one per node id and certificate, so an impostor is its own entry). */
export const discoveredNodeViewSchema = z.strictObject({
  /** `nodeId/fingerprint`: one advertisement. */
  key: z.string().min(1).max(200),
  nodeId: nodeIdSchema,
  /** DNS-SD instance name and SRV host: LAN data, shown as text only. */
  name: z.string().max(255),
  host: z.string().max(255),
  state: z.enum(NODE_STATES),
  fingerprint: fingerprintSchema,
  osVersion: osVersionSchema,
  arch: archSchema,
  meshRoles: z.array(z.enum(MESH_ROLES)),
  addresses: z.array(z.string().max(64)),
  interfaces: z.array(z.string().max(64)),
  verdict: fleetVerdictSchema,
  /** The agent's own page (https://ADDRESS:PORT/), for nodes not refused as impostors. */
  consoleUrl: z.url({ protocol: /^https$/ }).optional(),
});
export type DiscoveredNodeView = z.infer<typeof discoveredNodeViewSchema>;

/** One period of a node's history: seen in `state` from `firstSeen` to `lastSeen`. */
export const sightingViewSchema = z.strictObject({
  state: z.enum(NODE_STATES),
  firstSeen: isoTime,
  lastSeen: isoTime,
  osVersion: osVersionSchema,
  addresses: z.array(z.string().max(64)),
});

/** A node of the inventory (flashed here), its newest history first. */
export const inventoryNodeViewSchema = z.strictObject({
  nodeId: nodeIdSchema,
  hostname: hostnameSchema,
  imageName: z.string(),
  seededAt: isoTime,
  /** Pinned at pairing: only that certificate is this node from then on. */
  pinned: z.boolean(),
  /** Flashed and seeded here, or adopted by its setup code (docs/fleet.md). */
  origin: z.enum(['flashed', 'adopted']),
  /** What the node made of its seed, as its last report whose MAC checked out said; null before any. */
  seedReport: seedReportSchema.nullable(),
  history: z.array(sightingViewSchema),
});
export type InventoryNodeView = z.infer<typeof inventoryNodeViewSchema>;

/** How many history periods per node `fleet.list` returns. */
export const FLEET_HISTORY_LIMIT = 20;

/** `fleet.list`: the inventory, and the nodes discovery hears now (empty unless a view holds a watch lease). */
export const fleetListChannel = {
  request: z.strictObject({}),
  response: z.strictObject({ inventory: z.array(inventoryNodeViewSchema), discovered: z.array(discoveredNodeViewSchema), watching: z.boolean() }),
} as const;

/**
 * `fleet.watch`: takes (no id) or renews a lease on discovery; the engine browses mDNS while any lease is alive, and a
 * lease not renewed within `leaseMs` lapses (a closed tab or window stops discovery without telling anyone).
 */
export const fleetWatchChannel = {
  request: z.strictObject({ watchId: z.string().min(1).max(64).optional() }),
  response: z.strictObject({ watchId: z.string().min(1), leaseMs: z.number().int().positive() }),
} as const;

/** `fleet.unwatch`: gives a lease back (the fleet view closed). */
export const fleetUnwatchChannel = {
  request: z.strictObject({ watchId: z.string().min(1).max(64) }),
  response: z.strictObject({ released: z.boolean() }),
} as const;

/** `fleet.pair`: pairs a node flashed here; everything after the id is reported as `fleet.pairing` events. */
export const fleetPairChannel = {
  request: z.strictObject({ nodeId: nodeIdSchema }),
  response: z.strictObject({ pairingId: z.string().min(1) }),
} as const;

/**
 * `fleet.adopt`: adopts a node waiting with a setup code on its console (CPace, shared/fleet/adopt-api.ts), then pairs
 * it as `fleet.pair` does; reported as `fleet.pairing` events (`adopting` first). The code goes to the engine and the
 * node's exchange only: it is never stored or sent anywhere else.
 */
export const fleetAdoptChannel = {
  request: z.strictObject({ nodeId: nodeIdSchema, code: z.string().min(1).max(32) }),
  response: z.strictObject({ pairingId: z.string().min(1) }),
} as const;

/** `fleet.pairCancel`: stops following a pairing (the node's own device flow runs out on its own). */
export const fleetPairCancelChannel = {
  request: z.strictObject({ pairingId: z.string().min(1).max(64) }),
  response: z.strictObject({ cancelled: z.boolean() }),
} as const;

/** A pairing as the desktop follows it, a union on `state` (issue 5's pairing, desktop side). */
export const pairingViewSchema = z.discriminatedUnion('state', [
  /** Running the setup-code exchange with a node not seeded here. */
  z.strictObject({ state: z.literal('adopting') }),
  /** Looking for the node and checking it proves the key seeded into it. */
  z.strictObject({ state: z.literal('proving') }),
  z.strictObject({ state: z.literal('starting') }),
  /** The node redeems its seeded enrollment token. */
  z.strictObject({ state: z.literal('redeeming') }),
  /** RFC 8628 §3.3: the user enters `userCode` at `verificationUri`, or opens the complete link (the QR code). */
  z.strictObject({
    state: z.literal('awaiting_user'),
    userCode: z.string().regex(/^[\x21-\x7e]{1,32}$/),
    verificationUri: httpUrl,
    verificationUriComplete: httpUrl.optional(),
    expiresIn: z.number().int().nonnegative(),
    /** The complete link as a QR code, SVG made by the engine (shown as an image, never inlined as markup). */
    qrSvg: z.string().startsWith('<svg').max(200_000),
  }),
  z.strictObject({ state: z.literal('paired'), userName: z.string(), orgIdentity: z.string() }),
  z.strictObject({ state: z.literal('failed'), code: reportedErrorCodeSchema, reason: z.enum(PAIRING_FAILURES).optional(), message: z.string() }),
  z.strictObject({ state: z.literal('cancelled') }),
]);
export type PairingView = z.infer<typeof pairingViewSchema>;

/** The events of the fleet view (members of engineEventSchema). */
export const fleetEventSchemas = [
  /** A node came, changed (record, addresses, verdict) or went (`reason`: goodbye, expired, replaced, …). */
  z.strictObject({ type: z.literal('fleet.node'), change: z.enum(['up', 'update', 'down']), node: discoveredNodeViewSchema, reason: z.string().optional() }),
  z.strictObject({ type: z.literal('fleet.pairing'), pairingId: z.string().min(1), nodeId: nodeIdSchema, status: pairingViewSchema }),
  /** The inventory changed (a sighting, a pin, a flash recorded): list it again. */
  z.strictObject({ type: z.literal('fleet.inventory') }),
] as const;
