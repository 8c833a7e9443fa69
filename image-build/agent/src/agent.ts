import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PairingStatus } from '../../../shared/fleet/node-api';
import { txtStateOf } from '../../../shared/fleet/node-api';
import type { Arch } from '../../../shared/fleet/seed-formats';
import { type NodeState, encodeTxtRecord } from '../../../shared/fleet/txt-record';
import { type Advertiser, avahiAdvertiser, startResponder } from './advertiser';
import { apiHandler } from './api-routes';
import { detectAvahi } from './avahi-service';
import { ensureTlsIdentity } from './certificate';
import { loadCredentials } from './credentials';
import { type AdoptionRecord, ensureOwnNodeId, loadAdoption, saveAdoption } from './adoption-store';
import { AdoptionDesk } from './adoption';
import { readSeedReport } from './seed-report';
import { type SetupCodeState, SetupCodeKeeper } from './setup-code';
import { firstBootPage } from './first-boot-page';
import { Handshake } from './handshake';
import { type NodeIdentity, nodeIdentityFrom, seedHasPairing, serviceName, unseededIdentity } from './node-identity';
import { archOf, osVersion } from './os-facts';
import { Pairing, type PairingClock, realClock } from './pairing';
import { PortalClient, checkPortalUrl } from './portal-client';
import { ADOPT_RATE_LIMIT, DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit';
import { loadSeedIfAny } from './seed-source';

/**
 * The MaculaOS node agent (issue 5 §2): reads the seed, serves the pairing API over TLS with its own certificate,
 * advertises `_macula._tcp`, and pairs the node with the Portal — then says so in its TXT record and closes the
 * unauthenticated endpoints. `main.ts` runs it on the OS; tests start it in-process.
 */

export const DEFAULT_STATE_DIR = '/var/lib/maculaos';
/** Plan §9.4 opens only 80/443 for HTTP(S) on a node. */
export const DEFAULT_PORT = 443;
/** Where image-build/seed-apply leaves its report each boot. */
export const DEFAULT_SEED_REPORT = '/run/maculaos/seed-report.json';

export interface AgentOptions {
  /**
   * config.yaml, or a MACULAOS_STATE partition, disk or image to read it from (seed-source.ts). Nothing there, or a
   * seed without `maculaos.pairing`: the node runs unseeded and shows a setup code on its console to be adopted by.
   */
  readonly seed: string;
  /** The seed applier's report (default DEFAULT_SEED_REPORT). */
  readonly seedReport?: string;
  /** Adoption's timings (tests shorten them; shared/fleet/adopt-api.ts has the defaults). */
  readonly adoption?: { readonly codeTtlMs?: number; readonly lockMs?: number };
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
  /** Starts pairing at once (`auto`): the phone path of plan §8.1 needs a code on screen without any desktop. */
  readonly pairOnStart?: boolean;
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
  /** The setup code to show on the console while the node waits to be adopted; `closed` once it has a key. */
  readonly setupCode: SetupCodeState;
  /** The TXT strings being advertised now. */
  readonly txt: readonly string[];
  /** Calls `listener` on every pairing change; returns the unsubscribe. */
  onChange(listener: (status: PairingStatus) => void): () => void;
  /** Calls `listener` when the setup code changes (a new code, the lock, adoption). Console only: never the network. */
  onSetupCode(listener: (state: SetupCodeState) => void): () => void;
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
  const seed = await loadSeedIfAny(options.seed);
  const adoptedOf = (r: AdoptionRecord | undefined) => (r ? { pairingKey: r.pairing_key, portalUrl: r.portal_url } : undefined);
  let identity: NodeIdentity;
  if (seed && seedHasPairing(seed)) {
    identity = nodeIdentityFrom(seed, options.seed);
  } else {
    const ownId = await ensureOwnNodeId(stateDir);
    const adopted = await loadAdoption(stateDir);
    identity = unseededIdentity(seed, ownId, adopted?.node_id === ownId ? adoptedOf(adopted) : undefined);
  }
  const portalFor = (id: NodeIdentity): PortalClient | undefined => {
    const url = options.portalUrl ?? id.portalUrl;
    return url === undefined ? undefined : new PortalClient(checkPortalUrl(url, options.allowInsecurePortal === true));
  };
  let portal = portalFor(identity);
  const name = serviceName(identity);
  const tls = await ensureTlsIdentity(stateDir, { commonName: name, altNames: [`${name}.local`] });
  const arch = options.arch ?? archOf(process.arch) ?? 'amd64';
  const version = options.osVersion ?? (await osVersion());
  const stored = await loadCredentials(stateDir);
  const pairing = new Pairing(() => identity, () => portal, stateDir, tls.fingerprint, clock, stored?.node_id === identity.nodeId ? stored : undefined);
  const handshake = new Handshake(() => identity.pairingKey, tls.fingerprintBytes, clock.now);
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, clock.now);
  const adoptLimiter = new RateLimiter(ADOPT_RATE_LIMIT, clock.now);
  const codes = new SetupCodeKeeper({ now: clock.now, ...(options.adoption?.codeTtlMs ? { ttlMs: options.adoption.codeTtlMs } : {}), ...(options.adoption?.lockMs ? { lockMs: options.adoption.lockMs } : {}) });
  if (identity.pairingKey) codes.close();
  const desk = new AdoptionDesk(identity.nodeId, tls.fingerprintBytes, codes, clock.now);
  // An expired code or an ended lock is replaced when someone asks; this asks now and then so the console shows it.
  const codeTimer = setInterval(() => codes.current(), 5000);
  codeTimer.unref();
  /** The code is no TXT secret by design, but encodeTxtRecord refuses it all the same should a bug put it there. */
  const setupCodeSecrets = (): string[] => {
    const state = codes.current();
    return state.kind === 'open' ? [state.code] : [];
  };
  /** What TXT `st` and `info` say: nothing to pair before the node holds a key. */
  const nodeState = (): NodeState => (identity.pairingKey ? txtStateOf(pairing.status().state) : 'unadopted');
  let port = 0;

  const info = () => ({
    api_version: 1 as const,
    node_id: identity.nodeId,
    ...(identity.hostname ? { hostname: identity.hostname } : {}),
    state: nodeState(),
    fingerprint: tls.fingerprint,
    os_version: version,
    arch,
    mesh_roles: identity.meshRoles,
  });
  const txtFor = (state: NodeState): string[] =>
    encodeTxtRecord(
      { nodeId: identity.nodeId, state, fingerprint: tls.fingerprint, osVersion: version, arch, meshRoles: identity.meshRoles, apiPort: port },
      { secrets: [...identity.secrets, ...setupCodeSecrets()] },
    );

  const server = createServer(
    { key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' },
    apiHandler(
      {
        handshake,
        limiter,
        adoptLimiter,
        adoption: () => (identity.pairingKey ? undefined : desk),
        seedReport: async () => (identity.pairingKey ? readSeedReport(options.seedReport ?? DEFAULT_SEED_REPORT, identity.nodeId, identity.pairingKey, tls.fingerprintBytes) : undefined),
        install: async (grant) => {
          await saveAdoption(stateDir, { version: 1, node_id: identity.nodeId, pairing_key: grant.pairing_key, ...(grant.portal_url ? { portal_url: grant.portal_url } : {}), adopted_at: new Date(clock.now()).toISOString() });
          identity = unseededIdentity(seed, identity.nodeId, { pairingKey: grant.pairing_key, portalUrl: grant.portal_url });
          portal = portalFor(identity);
          codes.close();
          reannounce();
        },
        info,
        status: () => pairing.status(),
        start: (mode) => pairing.start(mode),
        page: () => firstBootPage({ hostname: name, state: pairing.status().state }),
      },
      onError,
    ),
  );
  port = await listen(server, options.port ?? DEFAULT_PORT, options.host);

  let advertised = nodeState();
  let txt = txtFor(advertised);
  const advertiser = await chooseAdvertiser(options, name, port, onError);
  // Announcements run one after another, so a quick idle → pairing → paired never publishes out of order.
  let announcing = advertiser ? advertiser.update(txt) : Promise.resolve();
  await announcing;

  function reannounce(): void {
    const next = nodeState();
    if (next === advertised) return;
    advertised = next;
    txt = txtFor(next);
    const record = txt;
    if (advertiser) announcing = announcing.then(() => advertiser.update(record)).catch(onError);
  }
  pairing.on('change', (status) => {
    if (status.state === 'paired') handshake.closeChallenges();
    reannounce();
  });
  // A node waiting for adoption has no key and no Portal yet: the adopting desktop starts its pairing.
  if (options.pairOnStart && identity.pairingKey) pairing.start('auto');

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
    get setupCode() {
      return codes.current();
    },
    onSetupCode(listener) {
      codes.on('change', listener);
      return () => codes.off('change', listener);
    },
    onChange(listener) {
      pairing.on('change', listener);
      return () => pairing.off('change', listener);
    },
    async close() {
      clearInterval(codeTimer);
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
