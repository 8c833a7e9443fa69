/**
 * What applying a seed changes on the node, as data (plan.ts makes it, apply.ts carries it out): files to write,
 * links to make and files to remove, all paths as seen from the node's root.
 */

export interface FileChange {
  readonly kind: 'file';
  readonly path: string;
  readonly content: string;
  /** Octal mode; 0644 unless said. */
  readonly mode: number;
  /** `user[:group]` for chown, root if absent. */
  readonly owner?: string;
}

export interface LinkChange {
  readonly kind: 'link';
  readonly path: string;
  readonly target: string;
}

/**
 * A file an earlier seed may have written and this one no longer asks for (a Wi-Fi network, NTP servers): the overlay
 * keeps /etc across boots, so the seed stays the source of truth only if dropped settings are removed.
 */
export interface RemoveChange {
  readonly kind: 'remove';
  readonly path: string;
}

export type Change = FileChange | LinkChange | RemoveChange;

/** One setting's part of the plan: its changes and its public summary fields (never a secret). */
export interface PlanPart {
  readonly changes: readonly Change[];
  readonly summary: Readonly<Record<string, string>>;
}
