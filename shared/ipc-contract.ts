import { z } from 'zod';
import { catalogLoadChannel } from './ipc-catalog';
import { driveCheckChannel, driveCloneChannel, driveRestoreChannel } from './ipc-drive-tools';
import { drivesListChannel } from './ipc-drives';
import { flashCancelChannel, flashStartChannel } from './ipc-flash';
import { fleetAdoptChannel, fleetListChannel, fleetPairCancelChannel, fleetPairChannel, fleetUnwatchChannel, fleetWatchChannel } from './ipc-fleet';
import { ipcErrorDetailsSchema, reportedErrorCodeSchema } from './ipc-error';
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
  'catalog.load': catalogLoadChannel,
  'image.inspect': imageInspectChannel,
  'drives.list': drivesListChannel,
  'drive.check': driveCheckChannel,
  'drive.clone': driveCloneChannel,
  'drive.restore': driveRestoreChannel,
  'seed.validate': seedValidateChannel,
  'flash.start': flashStartChannel,
  'flash.cancel': flashCancelChannel,
  'fleet.list': fleetListChannel,
  'fleet.watch': fleetWatchChannel,
  'fleet.unwatch': fleetUnwatchChannel,
  'fleet.pair': fleetPairChannel,
  'fleet.adopt': fleetAdoptChannel,
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

/**
 * An engine refusal as it crosses the boundary: its code, message, the form field at fault and the structured details
 * (shared/ipc-error.ts), never a stack or a secret.
 */
export const ipcErrorSchema = z.strictObject({
  code: reportedErrorCodeSchema,
  message: z.string(),
  field: z.string().optional(),
  details: ipcErrorDetailsSchema.optional(),
});
export type IpcError = z.infer<typeof ipcErrorSchema>;

/**
 * Every answer to a request, on both transports: the Electron preload resolves with it as main sent it, the browser
 * shell's server sends it as the body. A refusal is a value, not a thrown Error: Electron's contextBridge rebuilds a
 * thrown Error from its message alone (Electron's contextBridge docs, "Parameter / Error / Return Type support"), so its
 * code and field would never reach the renderer.
 */
export const ipcResultSchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: ipcErrorSchema }),
]);
export type IpcEnvelope = z.infer<typeof ipcResultSchema>;
export type IpcResult<C extends IpcChannel> = { ok: true; value: IpcResponse<C> } | { ok: false; error: IpcError };

/** The bridge the renderer sees as `window.macula`, derived from the contract. */
export interface MaculaBridge {
  /** Resolves with the answer's envelope, a refusal included; rejects only when the transport itself failed. */
  invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResult<C>>;
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
