import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Arch } from '../../../shared/fleet/seed-formats';
import { osVersionSchema } from '../../../shared/fleet/seed-formats';

/** Facts about the running OS the agent advertises: its MaculaOS version, CPU architecture, and LAN addresses. */

/** Node's `process.arch` in the catalog's words; undefined on an architecture MaculaOS is not built for. */
export function archOf(nodeArch: string): Arch | undefined {
  if (nodeArch === 'x64') return 'amd64';
  if (nodeArch === 'arm64') return 'arm64';
  return undefined;
}

/** `VERSION_ID` of os-release(5), if it is a release version; a development build says 0.0.0. */
export async function osVersion(osRelease = '/etc/os-release'): Promise<string> {
  const text = await readFile(osRelease, 'utf8').catch(() => '');
  const match = /^VERSION_ID="?([^"\n]+)"?$/m.exec(text);
  const version = match?.[1];
  return version !== undefined && osVersionSchema.safeParse(version).success ? version : '0.0.0';
}

/** Non-internal IPv4 addresses, for the console banner. */
export function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
}
