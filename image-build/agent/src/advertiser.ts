import { unlink } from 'node:fs/promises';
import { Bonjour, type Service, type ServiceConfig } from 'bonjour-service';
import { MACULA_SERVICE_TYPE } from '../../../shared/fleet/txt-record';
import { renderAvahiService, writeAvahiService } from './avahi-service';

/**
 * Announcing `_macula._tcp` (RFC 6763) with the node's TXT record, and announcing it again when the record changes
 * (the pairing state flips `st`). Two ways: our own responder (bonjour-service), or Avahi's service folder.
 */
export interface Advertiser {
  /** Publishes `txt` (ordered `key=value` strings, from encodeTxtRecord) in place of what was published. */
  update(txt: readonly string[]): Promise<void>;
  /** Withdraws the service (goodbye packets with TTL 0, RFC 6762 §10.1; or removes the service file). */
  close(): Promise<void>;
}

/** bonjour-service takes TXT as an object and writes its entries in insertion order: keep `txtvers` first. */
function txtObject(txt: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of txt) {
    const eq = s.indexOf('=');
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

export interface ResponderOptions {
  readonly name: string;
  readonly port: number;
  /** IPv4 address of the interface to answer on; all interfaces if absent. */
  readonly interface?: string;
}

/** Our own mDNS responder. */
export function startResponder(options: ResponderOptions, onError: (err: Error) => void): Advertiser {
  // bind 0.0.0.0 with an interface: bound to the interface's address a socket never receives multicast
  // (../shared/ARCHITECTURE.md); the interface alone picks where queries are joined and answers sent.
  const socketOptions = options.interface ? { interface: options.interface, bind: '0.0.0.0' } : {};
  // The constructor's type says ServiceConfig, but it hands these options to multicast-dns, which reads them.
  const bonjour = new Bonjour(socketOptions as unknown as Partial<ServiceConfig>, onError);
  let service: Service | undefined;
  let first = true;

  const stop = (s: Service): Promise<void> =>
    new Promise((resolve) => {
      s.stop(() => resolve());
    });

  return {
    async update(txt) {
      if (service) await stop(service);
      // Probe (RFC 6762 §8.1) the first time only: on a re-announce the name is already ours.
      service = bonjour.publish({
        name: options.name,
        type: MACULA_SERVICE_TYPE.slice(1, MACULA_SERVICE_TYPE.indexOf('.')),
        protocol: 'tcp',
        port: options.port,
        // SRV target and A records under `<name>.local` (RFC 6762 §3), not the bare os.hostname() the library defaults to.
        host: `${options.name}.local`,
        txt: txtObject(txt),
        probe: first,
        disableIPv6: true,
      });
      first = false;
    },
    async close() {
      if (service) await stop(service);
      await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
    },
  };
}

/** Avahi does the announcing; we keep its service file current. */
export function avahiAdvertiser(dir: string, name: string, port: number): Advertiser {
  let path: string | undefined;
  return {
    async update(txt) {
      path = await writeAvahiService(dir, renderAvahiService(name, port, txt));
    },
    async close() {
      if (path) await unlink(path).catch(() => undefined);
    },
  };
}
