import type { EngineEvent } from '../../../shared/ipc-events';
import type { DriveSource } from '../drives/list-drives';
import type { DiscoveryOptions } from '../fleet/discovery';
import { defaultFleetDir } from '../fleet/fleet-dir';
import { type IpcHandlers, createIpcHandlers } from '../ipc-handlers';
import { driveWatchSwitch } from './drive-watch';
import { EventHub } from './event-hub';
import { FleetPairings } from './fleet-pairings';
import { FleetWatch } from './fleet-watch';
import { FlashSessions } from './flash-sessions';
import { defaultConfigDir } from './config-dir';
import { readExtraCa } from './extra-ca';
import { PortalSignIns } from './portal-sign-ins';
import { ProfileStore } from './profile-store';
import type { PortalHttpOptions } from '../portal/portal-http';
import type { WriterLaunch } from './writer-launch';
import type { SleepInhibitor } from './sleep-inhibitor';

export interface AppEngineOptions {
  /** How flashes reach the drives (in-process as root, else the elevated writer); decided per flash. */
  readonly launch: () => WriterLaunch;
  /** OS drives (default drivelist); tests inject theirs. */
  readonly driveSource?: DriveSource;
  /** Hot-plug poll interval while someone listens to events. */
  readonly drivePollMs?: number;
  /** The fleet inventory and pairing keys (default: MACULA_FLEET_DIR, else the user's data directory). */
  readonly fleetDir?: string;
  /** mDNS discovery settings of the fleet view (tests pass a port or interfaces). */
  readonly discovery?: DiscoveryOptions;
  /** How long a fleet view's watch lease lives without renewal. */
  readonly fleetLeaseMs?: number;
  /** The user's settings (saved profiles); default: MACULA_CONFIG_DIR, else the user's config directory. */
  readonly configDir?: string;
  /**
   * How the Customise step's Portal sign-in reaches the Portal (tests: plain http, a throwaway CA). Without a CA here,
   * the sign-in, the catalog and downloads trust `extra-ca.pem` in the config directory when there is one.
   */
  readonly portal?: PortalHttpOptions;
  /** Keeps the computer awake during a flash; default: the platform's tool as a child process (sleep-inhibitor.ts). */
  readonly inhibitor?: SleepInhibitor;
}

/** The engine as the app shells (Electron main, web server) use it: request handlers and one event stream. */
export interface AppEngine {
  readonly handlers: IpcHandlers;
  /** Subscribe to engine events; returns the unsubscribe. */
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** Cancels running flashes, pairings and Portal sign-ins, stops discovery. */
  close(): void;
}

export function createAppEngine(options: AppEngineOptions): AppEngine {
  const hub: EventHub = new EventHub(driveWatchSwitch(() => hub, { intervalMs: options.drivePollMs ?? 2000, ...(options.driveSource ? { source: options.driveSource } : {}) }));
  const emit = (e: EngineEvent): void => hub.emit(e);
  const configDir = options.configDir ?? defaultConfigDir();
  const extraCa = (): Promise<Buffer | undefined> => readExtraCa(configDir);
  const fleetDir = options.fleetDir ?? defaultFleetDir();
  const discovery = options.discovery ? { discovery: options.discovery } : {};
  const watch = new FleetWatch({ fleetDir, emit, ...discovery, ...(options.fleetLeaseMs !== undefined ? { leaseMs: options.fleetLeaseMs } : {}) });
  const pairings = new FleetPairings({ fleetDir, watch, emit, ...discovery });
  const signIns = new PortalSignIns({ emit, extraCa, ...(options.portal ? { http: options.portal } : {}) });
  const flashes = new FlashSessions(options.launch, emit, extraCa, signIns, configDir, options.inhibitor);
  return {
    handlers: createIpcHandlers({ flashes, fleet: { fleetDir, watch, pairings }, profiles: new ProfileStore(configDir), signIns, extraCa, configDir, ...(options.driveSource ? { driveSource: options.driveSource } : {}) }),
    subscribe: (listener) => hub.subscribe(listener),
    close: () => {
      flashes.cancelAll();
      pairings.cancelAll();
      signIns.cancelAll();
      void watch.close();
    },
  };
}
