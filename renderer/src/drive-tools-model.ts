import type { CheckReport, CloneResult, RestoreResult } from '../../shared/drive-tools';
import type { DriveView } from '../../shared/ipc-drives';

/** Which Drive tools action runs or ran. */
export type DriveAction = 'check' | 'clone' | 'restore';

/** The Drive tools panel's state: one action at a time, its outcome kept until the next. */
export type DriveToolsState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'confirm-restore'; readonly view: DriveView }
  | { readonly kind: 'running'; readonly action: DriveAction }
  | { readonly kind: 'checked'; readonly report: CheckReport }
  | { readonly kind: 'cloned'; readonly result: CloneResult }
  | { readonly kind: 'restored'; readonly result: RestoreResult }
  | { readonly kind: 'failed'; readonly action: DriveAction; readonly message: string };

/** What the running action is called on screen. */
export const ACTION_LABEL: Readonly<Record<DriveAction, string>> = {
  check: 'Checking the drive against the image…',
  clone: 'Backing the drive up…',
  restore: 'Restoring the drive…',
};
