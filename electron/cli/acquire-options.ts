import type { OptionSpec } from './args';

/*
 * Apart from acquire-args.ts, which loads the download, catalog and OpenPGP modules: a command that only may fetch
 * (`macula flash` of a local file) declares these options without loading them.
 */

/** Options shared by every command that can fetch an image: where from, and what vouches for it. */
export const ACQUIRE_OPTIONS: OptionSpec = {
  sha256: { type: 'string' },
  sums: { type: 'string' },
  sig: { type: 'string' },
  key: { type: 'string' },
  catalog: { type: 'string' },
  'catalog-sig': { type: 'string' },
  'allow-downgrade': { type: 'boolean' },
  cache: { type: 'string' },
  ca: { type: 'string' },
  'allow-http': { type: 'boolean' },
};

export const ACQUIRE_USAGE =
  '[--sha256 HASH] [--sums URL --sig URL] [--key KEY.asc] [--catalog URL|FILE] [--catalog-sig URL|FILE] [--allow-downgrade] [--cache DIR] [--ca CA.pem] [--allow-http]';

/** Whether a command-line image argument names a catalog entry or URL rather than a local file. */
export function isRemoteImage(arg: string, fileExists: boolean): boolean {
  return /^https?:\/\//i.test(arg) || (!fileExists && /^[\w.-]+$/.test(arg) && !arg.includes('/'));
}
