import type { CatalogImage } from '../../shared/catalog';
import type { IpcResponse } from '../../shared/ipc-contract';
import type { SeedForm, SeedFormField, SeedSummary } from '../../shared/seed-form';

/** The wizard's steps, in order. */
export const STEPS = ['os', 'customise', 'targets', 'flash'] as const;
export type Step = (typeof STEPS)[number];

export const STEP_LABEL: Record<Step, string> = { os: 'Choose OS', customise: 'Customise', targets: 'Choose targets', flash: 'Flash' };

/** The image chosen in step 1. */
export type ImagePick =
  | { readonly kind: 'file'; readonly path: string; readonly info: IpcResponse<'image.inspect'> }
  /** `allowDowngrade`: picked from a catalog older than one seen before, as the user chose to (choose-os). */
  | { readonly kind: 'catalog'; readonly entry: CatalogImage; readonly allowDowngrade: boolean };

/**
 * What step 2 decided: the image alone, or a validated seed form (kept to send with flash.start), and the Portal
 * sign-in that mints each target's enrollment token, if the user signed in.
 */
export type Customisation =
  | { readonly kind: 'none' }
  | { readonly kind: 'seed'; readonly form: SeedForm; readonly summary: SeedSummary; readonly portalSignInId?: string };

/** flash.start refused the seed for the chosen targets (a `{serial}` template, a name twice): shown beside its field. */
export interface SeedRefusal {
  readonly field: SeedFormField;
  readonly message: string;
}

/** Bytes the image needs on a target, when known. */
export function imageSize(pick: ImagePick): number | undefined {
  return pick.kind === 'file' ? pick.info.size : pick.entry.extract_size;
}

export function imageName(pick: ImagePick): string {
  return pick.kind === 'file' ? pick.path : `${pick.entry.name} (${pick.entry.arch})`;
}
