/**
 * What applying a seed changes on the node, as data (plan.ts makes it, apply.ts carries it out): files to write,
 * links to make and files to remove, scripts to run and the login password to set, all paths as seen from the node's
 * root, carried out in order.
 */

export interface FileChange {
  readonly kind: 'file';
  readonly path: string;
  /** Text, or bytes (a `write_files` entry decoded from base64 or gzip). */
  readonly content: string | Uint8Array;
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

/**
 * A script written to `path` (0600: commands may hold secrets) and run there and then with /bin/sh, before the
 * changes after it: the seed's `init_cmd`, which k3OS runs before anything else of the config is applied.
 */
export interface RunChange {
  readonly kind: 'run';
  readonly path: string;
  readonly script: string;
}

/** The login user's password (`maculaos.password`): plain text is hashed on the node, a `$…` crypt(3) hash kept. */
export interface PasswordChange {
  readonly kind: 'password';
  readonly user: string;
  readonly password: string;
  readonly hashed: boolean;
}

export type Change = FileChange | LinkChange | RemoveChange | RunChange | PasswordChange;

/** One setting's part of the plan: its changes and its public summary fields (never a secret). */
export interface PlanPart {
  readonly changes: readonly Change[];
  readonly summary: Readonly<Record<string, string>>;
}
