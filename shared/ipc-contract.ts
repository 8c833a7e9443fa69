import { z } from 'zod';
import { catalogSchema } from './catalog';
import { drivesListChannel } from './ipc-drives';
import { flashCancelChannel, flashStartChannel } from './ipc-flash';
import { fleetListChannel, fleetPairCancelChannel, fleetPairChannel, fleetUnwatchChannel, fleetWatchChannel } from './ipc-fleet';
import { imageInspectChannel } from './ipc-image';
import { portalSignInCancelChannel, portalSignInChannel } from './ipc-portal';
import { profilesDeleteChannel, profilesListChannel, profilesSaveChannel } from './ipc-profiles';
import { seedValidateChannel } from './ipc-seed';

/**
 * The one IPC contract between the renderer and the engine, implemented by the Electron main process and by the
 * browser shell's local server alike; the renderer cannot tell them apart. Every request is validated with its
 * schema on the receiving side, in one wrapper; events (shared/ipc-events.ts) are validated by the renderer.
 */
export const ipcContract = {
  'catalog.load': {
    request: z.strictObject({ url: z.string().min(1).optional() }),
    response: z.strictObject({
      catalog: catalogSchema,
      source: z.enum(['remote', 'file', 'bundled']),
      location: z.string(),
      fallbackReason: z.string().optional(),
    }),
  },
  'image.inspect': imageInspectChannel,
  'drives.list': drivesListChannel,
  'seed.validate': seedValidateChannel,
  'flash.start': flashStartChannel,
  'flash.cancel': flashCancelChannel,
  'fleet.list': fleetListChannel,
  'fleet.watch': fleetWatchChannel,
  'fleet.unwatch': fleetUnwatchChannel,
  'fleet.pair': fleetPairChannel,
  'fleet.pairCancel': fleetPairCancelChannel,
  'profiles.list': profilesListChannel,
  'profiles.save': profilesSaveChannel,
  'profiles.delete': profilesDeleteChannel,
  'portal.signIn': portalSignInChannel,
  'portal.signInCancel': portalSignInCancelChannel,
} as const;

export type IpcChannel = keyof typeof ipcContract;
export type IpcRequest<C extends IpcChannel> = z.input<(typeof ipcContract)[C]['request']>;
export type IpcResponse<C extends IpcChannel> = z.output<(typeof ipcContract)[C]['response']>;

/** An engine error as it crosses the boundary: code and message only, never a stack or a secret. */
export const ipcErrorSchema = z.strictObject({ code: z.string(), message: z.string(), field: z.string().optional() });
export type IpcError = z.infer<typeof ipcErrorSchema>;

/** The bridge the renderer sees as `window.macula`, derived from the contract. */
export interface MaculaBridge {
  invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>>;
  /**
   * Engine events as they arrive, unvalidated (they crossed a process boundary): parse each with `engineEventSchema`.
   * Returns the unsubscribe function.
   */
  onEvent(listener: (event: unknown) => void): () => void;
  /** The file-system path of a dropped file, where the shell can know it (Electron); absent in the browser shell. */
  readonly pathForFile?: (file: object) => string;
}

export function isIpcChannel(name: string): name is IpcChannel {
  return Object.hasOwn(ipcContract, name);
}

/** The channel (Electron) and path (browser shell) engine events are pushed on. */
export const EVENT_CHANNEL = 'macula:event';
export const EVENTS_PATH = '/api/events';
