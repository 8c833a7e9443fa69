import { readFile } from 'node:fs/promises';
import { MaculaError } from '../../shared/errors';
import type { Args } from './args';

/** `--ca FILE`: an extra CA (PEM) for a self-hosted mirror (plan §7.9 `ca_cert`); `{}` when not given. */
export async function caOption(args: Args): Promise<{ ca?: Buffer }> {
  const path = args.string('ca');
  if (path === undefined) return {};
  try {
    return { ca: await readFile(path) };
  } catch (e) {
    throw new MaculaError('ERR_USAGE', `cannot read --ca ${path}: ${(e as Error).message}`, { path });
  }
}
