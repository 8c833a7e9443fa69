import type { IpcChannel, IpcRequest, IpcResponse } from '../../shared/ipc-contract';
import { validateSeedForm } from '../../shared/seed-form';
import { checkForApp, cloneForApp, restoreForApp } from './app/drive-tools';
import { listDriveViews } from './app/drive-views';
import type { FlashSessions } from './app/flash-sessions';
import { listFleet } from './app/fleet-list';
import type { FleetPairings } from './app/fleet-pairings';
import type { FleetWatch } from './app/fleet-watch';
import type { PortalSignIns } from './app/portal-sign-ins';
import type { ProfileStore } from './app/profile-store';
import { inspectForApp } from './app/image-info';
import { loadCatalog } from './catalog/load-catalog';
import type { DriveSource } from './drives/list-drives';

/** The engine side of every IPC channel; the Electron main process and the web shell both dispatch here. */
export type IpcHandlers = { [C in IpcChannel]: (request: IpcRequest<C>) => Promise<IpcResponse<C>> };

export interface HandlerDeps {
  readonly flashes: FlashSessions;
  readonly fleet: { readonly fleetDir: string; readonly watch: FleetWatch; readonly pairings: FleetPairings };
  readonly profiles: ProfileStore;
  readonly signIns: PortalSignIns;
  readonly driveSource?: DriveSource;
  /** The user's extra CA bundle for a self-hosted catalog (extra-ca.ts). */
  readonly extraCa?: () => Promise<Buffer | undefined>;
  /** The user's settings, where the catalog versions seen are remembered. */
  readonly configDir?: string;
}

export function createIpcHandlers(deps: HandlerDeps): IpcHandlers {
  return {
    'catalog.load': async (request) => {
      const ca = await deps.extraCa?.();
      return loadCatalog({
        ...(request.url !== undefined ? { url: request.url } : {}),
        ...(ca ? { ca } : {}),
        ...(deps.configDir !== undefined ? { configDir: deps.configDir } : {}),
        allowDowngrade: request.allowDowngrade ?? false,
      });
    },
    'image.inspect': async (request) => inspectForApp(request.path),
    'drives.list': async (request) => listDriveViews(request, deps.driveSource),
    'drive.check': checkForApp,
    'drive.clone': cloneForApp,
    'drive.restore': restoreForApp,
    // The seed itself stays here: only the secret-free summary goes back.
    'seed.validate': async (request) => {
      const r = validateSeedForm(request.form);
      return r.ok ? { ok: true, summary: r.summary, warnings: r.warnings } : { ok: false, errors: r.errors };
    },
    'flash.start': async (request) => deps.flashes.start(request),
    'flash.cancel': async (request) => deps.flashes.cancel(request.flashId),
    'fleet.list': async () => listFleet(deps.fleet.fleetDir, deps.fleet.watch),
    'fleet.watch': async (request) => deps.fleet.watch.watch(request.watchId),
    'fleet.unwatch': async (request) => ({ released: deps.fleet.watch.unwatch(request.watchId) }),
    'fleet.pair': async (request) => deps.fleet.pairings.start(request.nodeId),
    'fleet.adopt': async (request) => deps.fleet.pairings.start(request.nodeId, request.code),
    'fleet.pairCancel': async (request) => ({ cancelled: deps.fleet.pairings.cancel(request.pairingId) }),
    'profiles.list': async () => ({ profiles: await deps.profiles.list() }),
    'profiles.save': async (request) => ({ profiles: await deps.profiles.save(request.name, request.form) }),
    'profiles.delete': async (request) => deps.profiles.delete(request.name),
    'portal.signIn': async (request) => deps.signIns.start(request.portalUrl),
    'portal.signInCancel': async (request) => ({ cancelled: deps.signIns.cancel(request.signInId) }),
  };
}
