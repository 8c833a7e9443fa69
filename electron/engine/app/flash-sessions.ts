import { randomUUID } from 'node:crypto';
import { MaculaError } from '../../../shared/errors';
import type { IpcRequest, IpcResponse } from '../../../shared/ipc-contract';
import type { FlashEvent } from '../../../shared/ipc-events';
import { validateSeedForm } from '../../../shared/seed-form';
import { type FlashSessionPlan, runFlashSession } from './flash-session';
import { type SleepInhibitor, keptAwake, processInhibitor } from './sleep-inhibitor';
import type { PortalSignIns } from './portal-sign-ins';
import { type MintTokens, type TargetSeed, expandTargetSeeds } from './target-seeds';
import type { WriterLaunch } from './writer-launch';

/**
 * The seed of each target from the form (with a token minted per target when the flash names a Portal sign-in), or a
 * refusal naming the first bad field (`details.field`).
 */
async function seedsFor(request: IpcRequest<'flash.start'>, mint: MintTokens | undefined): Promise<TargetSeed[] | undefined> {
  if (request.seed === null) {
    if (mint) throw new MaculaError('ERR_USAGE', 'a Portal sign-in seeds enrollment tokens: customise the node to use it');
    return undefined;
  }
  const checked = validateSeedForm(request.seed);
  if (!checked.ok) {
    const first = checked.errors[0];
    throw new MaculaError('ERR_SEED_INVALID', `seed refused: ${checked.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, {
      field: first?.field ?? 'form',
    });
  }
  return expandTargetSeeds(checked.seed, request.targets, mint);
}

/** The flashes running in this engine, by id: started by `flash.start`, stopped by `flash.cancel`. */
export class FlashSessions {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly launch: () => WriterLaunch,
    private readonly emit: (event: FlashEvent) => void,
    /** The user's extra CA bundle for a self-hosted catalog and mirror (extra-ca.ts). */
    private readonly extraCa?: () => Promise<Buffer | undefined>,
    /** The Portal sign-ins a flash may name to mint its targets' enrollment tokens. */
    private readonly signIns?: PortalSignIns,
    /** Where the catalog versions seen are remembered (load-catalog.ts). */
    private readonly configDir?: string,
    /** Keeps the computer awake while a flash runs (the Electron shell passes its powerSaveBlocker). */
    private readonly inhibitor: SleepInhibitor = processInhibitor(),
  ) {}

  /** Checks the request and expands the seeds, then starts the flash and returns its id at once. */
  async start(request: IpcRequest<'flash.start'>): Promise<IpcResponse<'flash.start'>> {
    if (new Set(request.targets).size !== request.targets.length) throw new MaculaError('ERR_USAGE', 'the same target is chosen twice');
    const controller = new AbortController();
    const signInId = request.portalSignInId;
    const mint: MintTokens | undefined =
      signInId === undefined
        ? undefined
        : (nodes, portalUrl) => {
            if (!this.signIns) throw new MaculaError('ERR_USAGE', 'this engine runs no Portal sign-ins');
            return this.signIns.mint(signInId, nodes, controller.signal, portalUrl);
          };
    const seeds = await seedsFor(request, mint);
    const flashId = randomUUID();
    this.running.set(flashId, controller);
    const plan: FlashSessionPlan = { flashId, image: request.image, targets: request.targets, seeds, verify: request.verify, launch: this.launch(), ...(this.extraCa ? { extraCa: this.extraCa } : {}), ...(this.configDir !== undefined ? { configDir: this.configDir } : {}) };
    void keptAwake(this.inhibitor, 'Writing drives', () => runFlashSession(plan, controller.signal, this.emit)).finally(() => this.running.delete(flashId));
    return { flashId };
  }

  cancel(flashId: string): IpcResponse<'flash.cancel'> {
    const controller = this.running.get(flashId);
    controller?.abort();
    return { cancelled: controller !== undefined };
  }

  /** Stops every flash (the app is closing). */
  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }
}
