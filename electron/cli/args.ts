import { parseArgs } from 'node:util';
import { MaculaError } from '../../shared/errors';

/** Options every command accepts. */
const COMMON = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** Parsed command-line arguments with typed, usage-error-raising accessors. */
export interface Args {
  readonly positionals: readonly string[];
  flag(name: string): boolean;
  string(name: string): string | undefined;
  strings(name: string): string[];
  /** A required positional; its absence is a usage error naming what is missing. */
  positional(index: number, what: string): string;
}

/** Parses argv strictly: an unknown option is a usage error, not silently ignored. */
export function parseCommandArgs(argv: readonly string[], options: OptionSpec, usage: string): Args {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new MaculaError('ERR_USAGE', `${(e as Error).message}\nusage: ${usage}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  return {
    positionals: parsed.positionals,
    flag: (name) => values[name] === true,
    string: (name) => {
      const v = values[name];
      return typeof v === 'string' ? v : undefined;
    },
    strings: (name) => {
      const v = values[name];
      return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    },
    positional(index, what) {
      const v = parsed.positionals[index];
      if (v === undefined) throw new MaculaError('ERR_USAGE', `missing ${what}\nusage: ${usage}`);
      return v;
    },
  };
}
