import { access, readFile, readdir, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MACULA_SERVICE_TYPE } from '../../../shared/fleet/txt-record';

/**
 * Where Avahi already runs, two responders on one host would fight over port 5353 and the host name: the agent hands
 * its service to Avahi as a static service file instead (avahi.service(5)), which avahi-daemon reloads on change.
 */

export const AVAHI_SERVICES_DIR = '/etc/avahi/services';
export const AVAHI_SERVICE_FILE = 'macula.service';

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * The service file: one `_macula._tcp` service on `port` with the TXT strings in order (`txtvers=1` first, RFC 6763
 * §6.7; avahi.service(5) keeps the order of `<txt-record>` elements). `name` is the DNS-SD instance name.
 */
export function renderAvahiService(name: string, port: number, txt: readonly string[]): string {
  const records = txt.map((s) => `    <txt-record>${escapeXml(s)}</txt-record>`).join('\n');
  return `<?xml version="1.0" standalone="no"?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<!-- Written by the MaculaOS node agent; rewritten whenever the node's pairing state changes. -->
<service-group>
  <name>${escapeXml(name)}</name>
  <service protocol="ipv4">
    <type>${MACULA_SERVICE_TYPE}</type>
    <port>${port}</port>
${records}
  </service>
</service-group>
`;
}

/** Whether an avahi-daemon process is running (its comm in /proc), so a service file would be picked up. */
async function avahiDaemonRunning(): Promise<boolean> {
  const pids = await readdir('/proc').catch(() => []);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'avahi-daemon') return true;
  }
  return false;
}

/** Avahi's service folder if Avahi is there to read it, else undefined (the agent answers mDNS itself). */
export async function detectAvahi(dir = AVAHI_SERVICES_DIR): Promise<string | undefined> {
  const present = await access(dir).then(
    () => true,
    () => false,
  );
  return present && (await avahiDaemonRunning()) ? dir : undefined;
}

/**
 * The mtime (whole seconds) for a new version of the file at `path`: now, but always past the old version's. avahi-daemon
 * reloads a service file only when its `st_mtime`, in whole seconds, differs from the one it loaded — a state flip
 * written within the same second as the last (pairing → paired when the Portal answers at once) would go unseen.
 */
async function nextMtime(path: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const previous = await stat(path).then((s) => Math.floor(s.mtimeMs / 1000), () => undefined);
  return previous === undefined ? now : Math.max(now, previous + 1);
}

/** Writes the service file by rename, so avahi-daemon never reads half of it. Not a secret: mode 0644. */
export async function writeAvahiService(dir: string, xml: string): Promise<string> {
  const path = join(dir, AVAHI_SERVICE_FILE);
  const temp = `${path}.tmp`;
  await writeFile(temp, xml, { mode: 0o644 });
  const mtime = await nextMtime(path);
  await utimes(temp, mtime, mtime);
  await rename(temp, path);
  return path;
}
