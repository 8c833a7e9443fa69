import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PairingStatus } from '../../../shared/fleet/node-api';
import { txtStateOf } from '../../../shared/fleet/node-api';
import type { Arch } from '../../../shared/fleet/seed-formats';
import { type NodeState, encodeTxtRecord } from '../../../shared/fleet/txt-record';
import { type Advertiser, avahiAdvertiser, startResponder } from './advertiser';
import { apiHandler } from './api-routes';
import { detectAvahi } from './avahi-service';
import { type BootConditions, systemBootConditions } from './boot-conditions';
import { ensureTlsIdentity } from './certificate';
import { loadCredentials } from './credentials';
import { firstBootPage } from './first-boot-page';
import { Handshake } from './handshake';
import { nodeIdentityFrom, serviceName } from './node-identity';
import { archOf, osVersion } from './os-facts';
import { Pairing, type PairingClock, realClock } from './pairing';
import { PortalClient, checkPortalUrl } from './portal-client';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit';
import { loadSeed } from './seed-source';

/**
 * The MaculaOS node agent (issue 5 §2): reads the seed, serves the pairing API over TLS with its own certificate,
 * advertises `_macula._tcp`, and pairs the node with the Portal — then says so in its TXT record and closes the
 * unauthenticated endpoints. `main.ts` runs it on the OS; tests start it in-process.
 */

export const DEFAULT_STATE_DIR = '/var/lib/maculaos';
/** Plan §9.4 opens only 80/443 for HTTP(S) on a node. */
export const DEFAULT_PORT = 443;

export interface AgentOptions {
  /** config.yaml, or a MACULAOS_STATE partition, disk or image to read it from (seed-source.ts). */
  readonly seed: string;
  /** Where the TLS identity (`agent/`) and credentials (`credentials/portal.json`) live. */
  readonly stateDir?: string;
  /** Listen address; all addresses if absent. */
  readonly host?: string;
  /** 0 picks a free port (tests). */
  readonly port?: number;
  /**
   * mDNS: false for none; otherwise Avahi's service folder when Avahi runs (or `avahiServicesDir`, used as is), else our
   * own responder on `interface` (an IPv4 address; all interfaces if absent).
   */
  readonly mdns?: { readonly interface?: string; readonly avahiServicesDir?: string } | false;
  /** Replaces the seed's Portal URL. For tests and development. */
  readonly portalUrl?: string;
  /** Accepts an http:// Portal (the loopback contract server). Tests only: main.ts never sets it. */
  readonly allowInsecurePortal?: boolean;
  /**
   * Pairs at start (`auto`) and keeps at it until paired: the phone path of plan §8.1 needs a code on screen without
   * any desktop. Waits for `bootConditions` first (default: an address, and timesyncd's synchronisation, bounded).
   */
  readonly pairOnStart?: boolean;
  readonly bootConditions?: BootConditions;
  readonly clock?: PairingClock;
  readonly rateLimit?: RateLimitOptions;
  /** Advertised OS version and architecture (default: /etc/os-release and this CPU). */
  readonly osVersion?: string;
  readonly arch?: Arch;
  /** Unexpected errors (never secrets); default: dropped. */
  readonly onError?: (err: unknown) => void;
}

export interface RunningAgent {
  readonly port: number;
  /** base64url SHA-256 of the certificate's DER: what TXT `fp` says and desktops pin. */
  readonly fingerprint: string;
  readonly certPem: string;
  readonly nodeId: string;
  readonly hostname: string;
  /** The pairing status now. */
  readonly state: PairingStatus;
  /** The TXT strings being advertised now. */
  readonly txt: readonly string[];
  /** Calls `listener` on every pairing change; returns the unsubscribe. */
  onChange(listener: (status: PairingStatus) => void): () => void;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function chooseAdvertiser(options: AgentOptions, name: string, port: number, onError: (err: unknown) => void): Promise<Advertiser | undefined> {
  const mdns = options.mdns ?? {};
  if (mdns === false) return undefined;
  const avahiDir = mdns.avahiServicesDir ?? (await detectAvahi());
  if (avahiDir !== undefined) return avahiAdvertiser(avahiDir, name, port);
  return startResponder({ name, port, ...(mdns.interface ? { interface: mdns.interface } : {}) }, onError);
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const onError = options.onError ?? (() => undefined);
  const clock = options.clock ?? realClock();
  const identity = nodeIdentityFrom(await loadSeed(options.seed), options.seed);
  const portalUrl = options.portalUrl ?? identity.portalUrl;
  const portal = portalUrl === undefined ? undefined : new PortalClient(checkPortalUrl(portalUrl, options.allowInsecurePortal === true));
  const name = serviceName(identity);
  const tls = await ensureTlsIdentity(stateDir, { commonName: name, altNames: [`${name}.local`] });
  const arch = options.arch ?? archOf(process.arch) ?? 'amd64';
  const version = options.osVersion ?? (await osVersion());
  const stored = await loadCredentials(stateDir);
  const pairing = new Pairing(identity, portal, stateDir, tls.fingerprint, clock, stored?.node_id === identity.nodeId ? stored : undefined);
  const handshake = new Handshake(identity.pairingKey, tls.fingerprintBytes, clock.now);
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, clock.now);
  let port = 0;

  const info = () => ({
    api_version: 1 as const,
    node_id: identity.nodeId,
    ...(identity.hostname ? { hostname: identity.hostname } : {}),
    state: txtStateOf(pairing.status().state),
    fingerprint: tls.fingerprint,
    os_version: version,
    arch,
    mesh_roles: identity.meshRoles,
  });
  const txtFor = (state: NodeState): string[] =>
    encodeTxtRecord(
      { nodeId: identity.nodeId, state, fingerprint: tls.fingerprint, osVersion: version, arch, meshRoles: identity.meshRoles, apiPort: port },
      { secrets: identity.secrets },
    );

  const server = createServer(
    { key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' },
    apiHandler(
      {
        handshake,
        limiter,
        info,
        status: () => pairing.status(),
        start: (mode) => pairing.start(mode),
        page: () => firstBootPage({ hostname: name, state: pairing.status().state }),
      },
      onError,
    ),
  );
  port = await listen(server, options.port ?? DEFAULT_PORT, options.host);

  let advertised = txtStateOf(pairing.status().state);
  let txt = txtFor(advertised);
  const advertiser = await chooseAdvertiser(options, name, port, onError);
  // Announcements run one after another, so a quick idle → pairing → paired never publishes out of order.
  let announcing = advertiser ? advertiser.update(txt) : Promise.resolve();
  await announcing;

  pairing.on('change', (status) => {
    if (status.state === 'paired') handshake.closeChallenges();
    const next = txtStateOf(status.state);
    if (next === advertised) return;
    advertised = next;
    txt = txtFor(next);
    const record = txt;
    if (advertiser) announcing = announcing.then(() => advertiser.update(record)).catch(onError);
  });
  if (options.pairOnStart) void pairing.autoPair(options.bootConditions ?? systemBootConditions()).catch(onError);

  return {
    port,
    fingerprint: tls.fingerprint,
    certPem: tls.certPem,
    nodeId: identity.nodeId,
    hostname: name,
    get state() {
      return pairing.status();
    },
    get txt() {
      return txt;
    },
    onChange(listener) {
      pairing.on('change', listener);
      return () => pairing.off('change', listener);
    },
    async close() {
      pairing.close();
      await announcing.catch(() => undefined);
      await advertiser?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
